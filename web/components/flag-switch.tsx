import { useState } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { graphql } from '../lib/graphql.js';
import { flagId, parseReason, subjectLabel, type FlagSubject } from '../pages/flags-data.js';
import { fieldIssues } from './field-issues.js';
import { errorCode } from './states.js';

export const SetRouteEnabledMutation = graphql(`
  mutation SetRouteEnabledMutation($routeId: ID!, $enabled: Boolean!, $reason: String!) {
    setRouteEnabled(routeId: $routeId, enabled: $enabled, reason: $reason) {
      id
      enabled
    }
  }
`);

export const SetTierEnabledMutation = graphql(`
  mutation SetTierEnabledMutation($tier: Int!, $trafficClass: TrafficClass, $enabled: Boolean!, $reason: String!) {
    setTierEnabled(tier: $tier, trafficClass: $trafficClass, enabled: $enabled, reason: $reason) {
      id
      enabled
    }
  }
`);

/** The outcome of the last switch, for the page to show. */
export type SwitchNotice =
  { kind: 'done'; subject: FlagSubject; enabled: boolean } | { kind: 'failed'; subject: FlagSubject; message: string };

/** A failed switch in the server's words, with its code: `FORBIDDEN: admins only`. */
export function switchErrorMessage(error: CombinedError): { reason?: string; general?: string } {
  const issues = fieldIssues(error, ['reason'] as const);
  const code = errorCode(error);
  const general = issues.general && (code && code !== 'BAD_USER_INPUT' ? `${code}: ${issues.general}` : issues.general);
  return { reason: issues.fields.reason, ...(general && { general }) };
}

export interface FlagSwitch {
  reason: string;
  setReason(text: string): void;
  /** Why the reason cannot be sent: empty, too long, or the server's word on it. */
  reasonError?: string;
  notice?: SwitchNotice;
  /** The flag id being switched now, so only its control waits. */
  pending: string | null;
  /** Switches `subject` on or off with the reason typed; refuses an empty reason without asking the server. */
  toggle(subject: FlagSubject, enabled: boolean): Promise<void>;
}

/**
 * The switching half of the Flags page: one reason for the next change, the two mutations, and what happened.
 * `onChanged` runs after a switch the server took, so the page reads the flags again.
 */
export function useFlagSwitch(onChanged: () => void): FlagSwitch {
  const [reason, setReasonText] = useState('');
  const [reasonError, setReasonError] = useState<string>();
  const [notice, setNotice] = useState<SwitchNotice>();
  const [pending, setPending] = useState<string | null>(null);
  const [, setRoute] = useMutation(SetRouteEnabledMutation);
  const [, setTier] = useMutation(SetTierEnabledMutation);

  const toggle = async (subject: FlagSubject, enabled: boolean) => {
    setNotice(undefined);
    const parsed = parseReason(reason);
    if (!parsed.ok) return setReasonError(parsed.error);
    setReasonError(undefined);
    setPending(flagId(subject));
    const result =
      subject.scope === 'route'
        ? await setRoute({ routeId: subject.routeId, enabled, reason: parsed.reason })
        : await setTier({ tier: subject.tier, trafficClass: subject.trafficClass, enabled, reason: parsed.reason });
    setPending(null);
    if (result.error) {
      const message = switchErrorMessage(result.error);
      if (message.reason) setReasonError(message.reason);
      return setNotice({ kind: 'failed', subject, message: message.general ?? 'see the reason above' });
    }
    // A new change needs its own reason: the audit log should not repeat one by accident.
    setReasonText('');
    setNotice({ kind: 'done', subject, enabled });
    onChanged();
  };

  return {
    reason,
    setReason: (text) => {
      setReasonText(text);
      setReasonError(undefined);
    },
    ...(reasonError && { reasonError }),
    ...(notice && { notice }),
    pending,
    toggle,
  };
}

/** The last switch's outcome: a status line when it worked, an alert with the server's words when not. */
export function FlagSwitchNotice({ notice }: { notice?: SwitchNotice | undefined }) {
  if (!notice) return null;
  const what = subjectLabel(notice.subject);
  return notice.kind === 'done' ? (
    <p className="success-note" role="status">
      Switched {what} {notice.enabled ? 'on' : 'off'}.
    </p>
  ) : (
    <p className="field-error" role="alert">
      Not switched ({what}): {notice.message}
    </p>
  );
}
