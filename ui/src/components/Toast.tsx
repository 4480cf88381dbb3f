import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import "./Toast.css";

type Tone = "info" | "error";
interface ToastItem {
  id: number;
  text: string;
  tone: Tone;
}

const ToastContext = createContext<(text: string, tone?: Tone) => void>(() => {});

/** Hosts transient notifications at the bottom of the window. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const seq = useRef(0);
  const show = useCallback((text: string, tone: Tone = "info") => {
    const id = ++seq.current;
    setItems((xs) => [...xs.slice(-3), { id, text, tone }]);
    // Errors stay longer: they usually need reading.
    setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== id)), tone === "error" ? 8000 : 3500);
  }, []);
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {items.map((x) => (
          <div key={x.id} className={`toast toast-${x.tone}`} data-testid="toast">
            {x.text}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

/** `toast(text, "error")` shows a notification. */
export function useToast() {
  return useContext(ToastContext);
}
