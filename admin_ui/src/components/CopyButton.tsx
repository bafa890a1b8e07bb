import { useState } from "react";

/** Copies `value` to the clipboard; says "Copied" for a moment. */
export function CopyButton({ value, label = "Copy" }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Without the clipboard API (plain HTTP on another host), select-and-copy by hand.
      const area = document.createElement("textarea");
      area.value = value;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" className="btn btn-secondary btn-small" aria-label={label} onClick={() => void copy()}>
      <span aria-live="polite">{copied ? "Copied" : label}</span>
    </button>
  );
}

/** A value (a secret shown once, a snippet) with its copy button. */
export function CopyableValue({ value, label }: { value: string; label: string }) {
  return (
    <div className="copyable">
      <code className="copyable-value" aria-label={label}>
        {value}
      </code>
      <CopyButton value={value} label={`Copy ${label.toLowerCase()}`} />
    </div>
  );
}
