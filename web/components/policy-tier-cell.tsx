import {
  DEGRADATION_MODES,
  ROUTING_STRATEGIES,
  type RoutingStrategy,
  type TrafficClass,
} from '../../shared/contracts/policy.js';
import {
  addTierRoute,
  fieldId,
  fieldLabel,
  patchRouteTier,
  removeTier,
  removeTierRoute,
  setDefaultResponse,
  setTierRoute,
  switchTierKind,
  tierName,
  toggleDegradeMode,
  type Draft,
  type DraftRouteTier,
  type DraftTier,
} from '../pages/policy-draft.js';
import { formatUsd } from '../lib/format.js';
import { CheckboxField, Field, FieldIssues, NumberField, invalidProps, type FieldContext } from './policy-fields.js';
import type { RouteOption } from './policy-matrix.js';

export interface TierCellProps extends FieldContext {
  draft: Draft;
  cls: TrafficClass;
  index: number;
  tier: DraftTier;
  routes: readonly RouteOption[];
  onChange(next: Draft): void;
}

function routeText(r: RouteOption): string {
  const breaker = r.breaker.state === 'closed' ? '' : `, breaker ${r.breaker.state.replace('_', '-')}`;
  const price = `${formatUsd(r.price.inputPerMTok)}/${formatUsd(r.price.outputPerMTok)} per MTok`;
  return `${r.id} (${r.provider}, ${r.qualityClass}, ${price}${breaker})`;
}

function RoutesEditor({
  draft,
  cls,
  index,
  tier,
  routes,
  onChange,
  issues,
  readOnly,
}: TierCellProps & { tier: DraftRouteTier }) {
  const base = `classes.${cls}.tiers.${index}`;
  const unused = routes.find((r) => !tier.routes.includes(r.id));
  const ctx = { issues, readOnly };
  return (
    <>
      {tier.routes.map((id, r) => {
        const field = `${base}.routes.${r}`;
        const known = routes.some((o) => o.id === id);
        return (
          <div key={r} style={{ marginBottom: '0.4rem' }}>
            <label htmlFor={fieldId(field)}>Route {r + 1}</label>
            <div style={{ display: 'flex', gap: '0.25rem' }}>
              <select
                id={fieldId(field)}
                aria-label={fieldLabel(field)}
                value={id}
                disabled={readOnly}
                onChange={(e) => onChange(setTierRoute(draft, cls, index, r, e.target.value))}
                {...invalidProps(field, issues)}
              >
                {!known && <option value={id}>{id || '(none)'} (not in the catalogue)</option>}
                {routes.map((o) => (
                  <option key={o.id} value={o.id}>
                    {routeText(o)}
                  </option>
                ))}
              </select>
              {!readOnly && (
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove ${fieldLabel(field)}`}
                  onClick={() => onChange(removeTierRoute(draft, cls, index, r))}
                >
                  ✕
                </button>
              )}
            </div>
            <FieldIssues field={field} issues={issues} />
          </div>
        );
      })}
      {!readOnly && (
        <button
          type="button"
          className="secondary"
          disabled={!unused}
          aria-label={`Add route to ${tierName(cls, index)}`}
          onClick={() => unused && onChange(addTierRoute(draft, cls, index, unused.id))}
        >
          Add route
        </button>
      )}
      <FieldIssues field={`${base}.routes`} issues={issues} />
      <Field field={`${base}.strategy`} label="Strategy">
        <select
          id={fieldId(`${base}.strategy`)}
          aria-label={fieldLabel(`${base}.strategy`)}
          value={tier.strategy ?? 'ordered'}
          disabled={readOnly}
          onChange={(e) => onChange(patchRouteTier(draft, cls, index, { strategy: e.target.value as RoutingStrategy }))}
          {...invalidProps(`${base}.strategy`, issues)}
        >
          {ROUTING_STRATEGIES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
        <FieldIssues field={`${base}.strategy`} issues={issues} />
      </Field>
      <NumberField
        {...ctx}
        field={`${base}.timeoutMs`}
        label="Timeout (ms)"
        placeholder="default"
        value={tier.timeoutMs}
        onChange={(v) => onChange(patchRouteTier(draft, cls, index, { timeoutMs: v }))}
      />
      <CheckboxField
        {...ctx}
        field={`${base}.flagUncertain`}
        label="Flag answers uncertain"
        checked={tier.flagUncertain ?? false}
        onChange={(on) => onChange(patchRouteTier(draft, cls, index, { flagUncertain: on }))}
      />
    </>
  );
}

function DegradeEditor({
  draft,
  cls,
  index,
  tier,
  onChange,
  issues,
  readOnly,
}: TierCellProps & { tier: Extract<DraftTier, { kind: 'degrade' }> }) {
  const base = `classes.${cls}.tiers.${index}`;
  const modesField = `${base}.modes`;
  return (
    <>
      <fieldset style={{ border: 'none', padding: 0, margin: '0 0 0.4rem' }} {...invalidProps(modesField, issues)}>
        <legend style={{ fontWeight: 600 }}>Modes, tried in order</legend>
        {DEGRADATION_MODES.map((mode) => {
          const id = `${fieldId(modesField)}-${mode}`;
          const at = tier.modes.indexOf(mode);
          return (
            <div key={mode}>
              <input
                id={id}
                type="checkbox"
                aria-label={`${tierName(cls, index)} mode ${mode}`}
                checked={at >= 0}
                disabled={readOnly}
                onChange={(e) => onChange(toggleDegradeMode(draft, cls, index, mode, e.target.checked))}
              />{' '}
              <label htmlFor={id} style={{ display: 'inline', fontWeight: 400 }}>
                {mode.replace('_', ' ')}
                {at >= 0 && tier.modes.length > 1 ? ` (${at + 1})` : ''}
              </label>
            </div>
          );
        })}
        <FieldIssues field={modesField} issues={issues} />
      </fieldset>
      {(tier.modes.includes('default_response') || tier.defaultResponse !== undefined) && (
        <Field field={`${base}.defaultResponse`} label="Default response">
          <textarea
            id={fieldId(`${base}.defaultResponse`)}
            aria-label={fieldLabel(`${base}.defaultResponse`)}
            rows={3}
            style={{ width: '100%' }}
            value={tier.defaultResponse ?? ''}
            disabled={readOnly}
            placeholder="Text served to the caller"
            onChange={(e) => onChange(setDefaultResponse(draft, cls, index, e.target.value))}
            {...invalidProps(`${base}.defaultResponse`, issues)}
          />
          <FieldIssues field={`${base}.defaultResponse`} issues={issues} />
        </Field>
      )}
    </>
  );
}

/** One tier of one class: routes with strategy, timeout and the uncertain flag, or degradation modes. */
export function TierCell(props: TierCellProps) {
  const { draft, cls, index, tier, onChange, issues, readOnly } = props;
  const base = `classes.${cls}.tiers.${index}`;
  const kindId = `${fieldId(base)}-kind`;
  return (
    <td>
      <div style={{ marginBottom: '0.4rem' }}>
        <label htmlFor={kindId}>Kind</label>
        <select
          id={kindId}
          aria-label={fieldLabel(`${base}.kind`)}
          value={tier.kind}
          disabled={readOnly}
          onChange={(e) => onChange(switchTierKind(draft, cls, index, e.target.value as DraftTier['kind']))}
        >
          <option value="routes">Call routes</option>
          <option value="degrade">Degrade / hard stop</option>
        </select>
      </div>
      {tier.kind === 'routes' ? <RoutesEditor {...props} tier={tier} /> : <DegradeEditor {...props} tier={tier} />}
      <FieldIssues field={base} issues={issues} />
      {!readOnly && (
        <button
          type="button"
          className="secondary"
          disabled={draft.classes[cls].tiers.length <= 1}
          aria-label={`Remove ${fieldLabel(base)}`}
          onClick={() => onChange(removeTier(draft, cls, index))}
          style={{ marginTop: '0.4rem' }}
        >
          Remove tier
        </button>
      )}
    </td>
  );
}
