/**
 * A trigger named on the command line: its id, a prefix of its id that no other trigger shares,
 * or its exact title. An ambiguous name is refused with the candidates, never guessed.
 */
import { CliError } from './cli-error.js';

export interface TriggerName {
  readonly id: string;
  readonly title?: string | undefined;
}

export type TriggerMatch = { readonly found: true; readonly id: string } | { readonly found: false };

export function resolveTriggerArg(arg: string, triggers: readonly TriggerName[]): TriggerMatch {
  const unique = [...new Map(triggers.map((t) => [t.id, t])).values()];
  if (unique.some((t) => t.id === arg)) return { found: true, id: arg };
  for (const matches of [unique.filter((t) => t.title === arg), unique.filter((t) => t.id.startsWith(arg))]) {
    if (matches.length === 1) return { found: true, id: matches[0]!.id };
    if (matches.length > 1) {
      const listed = matches.map((t) => (t.title ? `${t.id} (${t.title})` : t.id)).join(', ');
      throw new CliError(`"${arg}" names ${matches.length} triggers: ${listed}; give more of the id`, 2);
    }
  }
  return { found: false };
}
