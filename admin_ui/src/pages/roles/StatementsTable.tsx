import type { PolicyStatement } from "../../api/types";

/** A policy read-only: one row per statement (numbered as the simulator names them). */
export function StatementsTable({
  statements,
  highlight,
}: {
  statements: PolicyStatement[];
  /** The index of a statement to mark (the one that decided, in the simulator). */
  highlight?: number;
}) {
  if (!statements.length) return <p className="muted">No statements: this role allows nothing.</p>;
  return (
    <div className="table-wrap">
      <table className="table statements-table">
        <caption className="visually-hidden">Policy statements</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Effect</th>
            <th scope="col">Actions</th>
            <th scope="col">Resources</th>
          </tr>
        </thead>
        <tbody>
          {statements.map((statement, index) => (
            <tr key={index} className={index === highlight ? "highlight" : undefined} aria-current={index === highlight || undefined}>
              <td>{index + 1}</td>
              <td>
                <span className={`effect effect-${statement.effect.toLowerCase()}`}>{statement.effect}</span>
              </td>
              <td>
                <PatternCodes patterns={statement.actions} />
              </td>
              <td>
                <PatternCodes patterns={statement.resources} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PatternCodes({ patterns }: { patterns: string[] }) {
  return (
    <span className="code-list">
      {patterns.map((pattern, index) => (
        <code key={index}>{pattern}</code>
      ))}
    </span>
  );
}
