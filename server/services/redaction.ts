import { hash } from 'node:crypto';

// Order matters: secrets and cards before phone numbers, which would otherwise eat their digits.
const PATTERNS: [RegExp, string][] = [
  [/\b(?:sk|pk|rk|bk)[-_][A-Za-z0-9_-]{16,}\b/g, '[secret]'],
  [/\bAKIA[0-9A-Z]{16}\b/g, '[secret]'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, '[secret]'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, '[secret]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[secret]'],
  [/\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, '[email]'],
  [/\b\d(?:[ -]?\d){12,18}\b/g, '[card]'],
  [/(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{3,4}[ .-]\d{3,4}(?:[ .-]\d{2,4})?\b/g, '[phone]'],
];

/** Removes emails, phone numbers, card numbers and secrets (API keys, tokens, private keys) from text. */
export function redact(text: string): string {
  return PATTERNS.reduce((t, [re, label]) => t.replace(re, label), text);
}

/** SHA-256 of the text: lets decisions be correlated without storing the text. */
export function contentHash(text: string): string {
  return hash('sha256', text, 'hex');
}
