import { tierLabel } from '../lib/format.js';
import { SWITCHABLE_TIERS, TRAFFIC_CLASSES, flagId, tierState, type Flag } from '../pages/flags-data.js';
import type { FlagSwitch } from './flag-switch.js';
import { FlagToggle } from './flag-toggle.js';

interface Props {
  flags: ReadonlyMap<string, Flag>;
  canEdit: boolean;
  switcher: Pick<FlagSwitch, 'pending' | 'toggle'>;
}

const COLUMNS = [null, ...TRAFFIC_CLASSES] as const;

/**
 * Tiers 0 to 2 by traffic class. The "All classes" column is the switch for every class without one of its own; a
 * class cell shows the state the engine applies, and says when it comes from that column.
 */
export function FlagTierGrid({ flags, canEdit, switcher }: Props) {
  return (
    <div className="table-wrap">
      <table aria-label="Tier switches">
        <thead>
          <tr>
            <th scope="col">Tier</th>
            {COLUMNS.map((c) => (
              <th key={c ?? 'all'} scope="col">
                {c ?? 'All classes'}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {SWITCHABLE_TIERS.map((tier) => (
            <tr key={tier}>
              <th scope="row">{tierLabel(tier)}</th>
              {COLUMNS.map((trafficClass) => {
                const subject = { scope: 'tier', tier, trafficClass } as const;
                const state = tierState(flags, tier, trafficClass);
                return (
                  <td key={trafficClass ?? 'all'}>
                    <FlagToggle
                      subject={subject}
                      enabled={state.enabled}
                      canEdit={canEdit}
                      pending={switcher.pending === flagId(subject)}
                      busy={switcher.pending !== null}
                      onToggle={(s, on) => void switcher.toggle(s, on)}
                    />
                    {state.source === 'all classes' && <span className="flag-inherited">as all classes</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
