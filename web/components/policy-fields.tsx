import { useState, type ReactNode } from 'react';
import { fieldId, fieldLabel, type IssueMap } from '../pages/policy-draft.js';

/** What every policy editor section gets: the issues to show, and whether the viewer may edit. */
export interface FieldContext {
  issues: IssueMap;
  readOnly: boolean;
}

function errorId(field: string): string {
  return `${fieldId(field)}-error`;
}

/** The aria attributes tying a control to its slot's messages. */
export function invalidProps(field: string, issues: IssueMap) {
  const has = (issues.get(field)?.length ?? 0) > 0;
  return has ? { 'aria-invalid': true as const, 'aria-describedby': errorId(field) } : {};
}

/** The messages of one slot, shown beside its control. */
export function FieldIssues({ field, issues }: { field: string; issues: IssueMap }) {
  const messages = issues.get(field);
  if (!messages?.length) return null;
  return (
    <p className="field-error" id={errorId(field)}>
      {messages.join('; ')}
    </p>
  );
}

/** A control with a short visible label; its accessible name is the full field label. */
export function Field({ field, label, children }: { field: string; label: string; children: ReactNode }) {
  return (
    <div style={{ marginBottom: '0.4rem' }}>
      <label htmlFor={fieldId(field)}>{label}</label>
      {children}
    </div>
  );
}

export interface NumberFieldProps extends FieldContext {
  field: string;
  label: string;
  value: number | undefined;
  /** `undefined` when emptied: the schema default applies. */
  onChange(value: number | undefined): void;
  /** Shows a fraction (0..1) as percent. */
  percent?: boolean;
  placeholder?: string;
}

const shown = (value: number | undefined, percent: boolean) =>
  value === undefined || Number.isNaN(value) ? '' : String(percent ? Number((value * 100).toFixed(6)) : value);

/**
 * A number typed as text: what was typed is kept while it is invalid, and handed on as typed (`Number(text)`), so
 * the schema, not the input, says what is wrong with it.
 */
export function NumberField({
  field,
  label,
  value,
  onChange,
  percent = false,
  placeholder,
  issues,
  readOnly,
}: NumberFieldProps) {
  const parse = (text: string) => (text.trim() === '' ? undefined : Number(text) / (percent ? 100 : 1));
  const [text, setText] = useState(() => shown(value, percent));
  const [seen, setSeen] = useState(value);
  // A change from outside (reset, another scope) replaces the text; our own edit comes back equal to it.
  if (!Object.is(seen, value)) {
    setSeen(value);
    if (!Object.is(parse(text), value)) setText(shown(value, percent));
  }
  return (
    <Field field={field} label={label}>
      <input
        id={fieldId(field)}
        type="text"
        inputMode="decimal"
        aria-label={fieldLabel(field)}
        value={text}
        placeholder={placeholder}
        disabled={readOnly}
        onChange={(e) => {
          setText(e.target.value);
          onChange(parse(e.target.value));
        }}
        {...invalidProps(field, issues)}
        style={{ width: '100%' }}
      />
      <FieldIssues field={field} issues={issues} />
    </Field>
  );
}

export interface CheckboxFieldProps extends FieldContext {
  field: string;
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
}

export function CheckboxField({ field, label, checked, onChange, issues, readOnly }: CheckboxFieldProps) {
  return (
    <div style={{ marginBottom: '0.4rem' }}>
      <input
        id={fieldId(field)}
        type="checkbox"
        aria-label={fieldLabel(field)}
        checked={checked}
        disabled={readOnly}
        onChange={(e) => onChange(e.target.checked)}
        {...invalidProps(field, issues)}
      />{' '}
      <label htmlFor={fieldId(field)} style={{ display: 'inline', fontWeight: 400 }}>
        {label}
      </label>
      <FieldIssues field={field} issues={issues} />
    </div>
  );
}
