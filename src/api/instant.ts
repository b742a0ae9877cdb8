/** A range bound as the API and the CLI take it: "2027-03-01" (midnight UTC) or an RFC 3339 time; null if neither. */
export function parseInstant(text: string): Date | null {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(date.getTime()) ? null : date;
}
