/** A request's HTTP status as a coloured badge (its error class beside it, if any). */
export function StatusBadge({ status, errorClass }: { status: number; errorClass?: string | null }) {
  const tone = status >= 500 ? "error" : status >= 400 ? "warning" : "ok";
  return (
    <span className="status-cell">
      <span className={`status-badge status-badge-${tone}`}>{status}</span>
      {errorClass ? <span className="muted status-class">{errorClass}</span> : null}
    </span>
  );
}
