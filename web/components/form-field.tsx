import { useId, type ReactNode } from 'react';

/** What a control needs to be tied to its label, hint and error. */
export interface FieldControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
}

export interface FormFieldProps {
  label: string;
  /** Shown under the control while there is no error, e.g. "Blank for none". */
  hint?: string;
  error?: string;
  children: (control: FieldControlProps) => ReactNode;
}

/** A labelled control with its hint and its error (role="alert", so it is read out when it appears). */
export function FormField({ label, hint, error, children }: FormFieldProps) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': !!error, ...(describedBy && { 'aria-describedby': describedBy }) })}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : (
        hint && (
          <p className="notice" id={`${id}-hint`} style={{ margin: '0.2rem 0 0', fontSize: '0.8rem' }}>
            {hint}
          </p>
        )
      )}
    </div>
  );
}
