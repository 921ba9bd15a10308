/** jsonb columns: SQL NULL for absent/null, JSON text otherwise (a bare string param would not parse as JSON). */
export const jsonParam = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value)
