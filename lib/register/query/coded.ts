/**
 * A code and its text in the chosen language (null when the code table has none). `language`
 * is the language the text is in (upper case, as the code table writes it): another than the
 * one chosen when the table has no text in it and the text fell back to Dutch, then French.
 */
export interface Coded {
  code: string | null;
  text: string | null;
  language?: string | null;
}

/** A code's text and the language it is in. */
export interface CodeText {
  text: string;
  language: string;
}

/** The key of a (category, code) pair in a map of code texts. */
export const codeKey = (category: string, code: string) => `${category}\u0000${code}`;

/** A code with its text from `texts` (keyed by codeKey). Pure. */
export function codedBy(texts: Map<string, CodeText>): (category: string, code: string | null | undefined) => Coded {
  return (category, code) => {
    const found = code ? texts.get(codeKey(category, code)) : undefined;
    return { code: code ?? null, text: found?.text ?? null, language: found?.language ?? null };
  };
}

/** The text is in another language than `lang` (it fell back to Dutch, then French). */
export const fellBack = (c: Coded, lang: string): boolean => Boolean(c.text && c.language && c.language !== lang.toUpperCase());

/** A code as a page shows it: its text, marked with its language when it fell back ("Actief (NL)"), else the code. */
export const codeLabel = (c: Coded, lang: string): string | null => (c.text ? (fellBack(c, lang) ? `${c.text} (${c.language})` : c.text) : c.code);
