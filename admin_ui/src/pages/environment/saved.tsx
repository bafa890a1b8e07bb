// "Saved" beside a section's save button, until the section is edited again.

import { useEffect, useRef, useState, type ReactNode } from "react";

export function useSaved(values: unknown): { show: () => void; notice: ReactNode } {
  const [shown, setShown] = useState(false);
  const signature = JSON.stringify(values);
  const savedSignature = useRef<string | null>(null);
  useEffect(() => {
    if (savedSignature.current !== null && savedSignature.current !== signature) {
      savedSignature.current = null;
      setShown(false);
    }
  }, [signature]);
  return {
    show: () => {
      savedSignature.current = signature;
      setShown(true);
    },
    notice: shown ? (
      <span className="saved-note" role="status">
        Saved
      </span>
    ) : null,
  };
}
