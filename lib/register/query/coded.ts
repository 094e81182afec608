/** A code and its text in the chosen language (null when the code table has none). */
export interface Coded {
  code: string | null;
  text: string | null;
}

/** The key of a (category, code) pair in a map of code texts. */
export const codeKey = (category: string, code: string) => `${category}\u0000${code}`;

/** A code with its text from `texts` (keyed by codeKey). Pure. */
export function codedBy(texts: Map<string, string>): (category: string, code: string | null | undefined) => Coded {
  return (category, code) => ({ code: code ?? null, text: code ? (texts.get(codeKey(category, code)) ?? null) : null });
}
