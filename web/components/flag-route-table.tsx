import { graphql, readFragment, type FragmentOf } from '../lib/graphql.js';
import { flagId, routeEnabled, type Flag } from '../pages/flags-data.js';
import { FlagChangeNote } from './flag-changes.js';
import type { FlagSwitch } from './flag-switch.js';
import { FlagToggle } from './flag-toggle.js';

export const FlagRouteTable_RouteFragment = graphql(`
  fragment FlagRouteTable_RouteFragment on Route {
    id
    provider
    model
    breaker {
      state
    }
  }
`);

interface Props {
  routes: readonly FragmentOf<typeof FlagRouteTable_RouteFragment>[];
  flags: ReadonlyMap<string, Flag>;
  canEdit: boolean;
  switcher: Pick<FlagSwitch, 'pending' | 'toggle'>;
}

/** Every route of the catalogue with its switch and its last change; the breaker shows beside it for context. */
export function FlagRouteTable({ routes, flags, canEdit, switcher }: Props) {
  return (
    <div className="table-wrap">
      <table aria-label="Route switches">
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Provider / model</th>
            <th scope="col">Breaker</th>
            <th scope="col">Switched</th>
            <th scope="col">Last change</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((fragment) => {
            const r = readFragment(FlagRouteTable_RouteFragment, fragment);
            const subject = { scope: 'route', routeId: r.id } as const;
            const id = flagId(subject);
            return (
              <tr key={r.id}>
                <th scope="row">
                  <code>{r.id}</code>
                </th>
                <td>
                  {r.provider} / {r.model}
                </td>
                <td>
                  <span className={`badge ${r.breaker.state}`}>{r.breaker.state.replace('_', '-')}</span>
                </td>
                <td>
                  <FlagToggle
                    subject={subject}
                    enabled={routeEnabled(flags, r.id)}
                    canEdit={canEdit}
                    pending={switcher.pending === id}
                    busy={switcher.pending !== null}
                    onToggle={(s, on) => void switcher.toggle(s, on)}
                  />
                </td>
                <td>
                  <FlagChangeNote flag={flags.get(id)} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
