import type { ReactNode } from "react";

/** What a list shows when it has nothing: what goes here, and the action to add one. */
export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  /** Typically a <Can>-gated Button or ButtonLink. */
  action?: ReactNode;
}) {
  return (
    <div className="empty-state">
      <h3 className="empty-title">{title}</h3>
      {children ? <div className="empty-body">{children}</div> : null}
      {action ? <div className="empty-action">{action}</div> : null}
    </div>
  );
}
