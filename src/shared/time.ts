/** ms since the epoch → ISO 8601 in UTC, how the JSON API writes every time. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();
