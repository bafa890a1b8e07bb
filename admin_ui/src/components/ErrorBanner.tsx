import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../api/client";

/** An error shown above a page or form: the API's message, and its request id to quote. */
export function ErrorBanner({
  error,
  title,
  onRetry,
  children,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-body">
        {title ? <strong className="banner-title">{title}</strong> : null}
        <span>{errorMessage(error)}</span>
        {requestId ? <span className="banner-meta">Request id {requestId}</span> : null}
        {children}
      </div>
      {onRetry ? (
        <button type="button" className="btn btn-secondary btn-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A neutral or success notice. */
export function Notice({ tone = "info", children }: { tone?: "info" | "success" | "warning"; children: ReactNode }) {
  return (
    <div className={`banner banner-${tone}`} role="status">
      <div className="banner-body">{children}</div>
    </div>
  );
}
