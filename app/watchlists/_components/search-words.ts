/** A saved search in words: `NACE 62010, in 9000, form 014, status AC, name "bak…"`. */
export function searchWords(s: { q?: string; nace?: string; place?: string; form?: string; status?: string }): string {
  return [s.nace && `NACE ${s.nace}`, s.place && `in ${s.place}`, s.form && `form ${s.form}`, s.status && `status ${s.status}`, s.q && `name "${s.q}…"`].filter(Boolean).join(', ');
}
