import type { ButtonHTMLAttributes } from "react";

/**
 * A button for an action the server may not offer. With a `reason` it stays in its place,
 * greyed, but focusable and hoverable (a disabled button is neither), does nothing when
 * pressed, and says why: as its tooltip on hover and in a bubble on keyboard focus.
 */
export function GatedButton({
  reason,
  onClick,
  className,
  title,
  type = "button",
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { reason?: string | null }) {
  if (!reason) return <button type={type} className={className} title={title} onClick={onClick} {...rest} />;
  return (
    <button
      type={type}
      {...rest}
      className={`${className ?? ""} gated`.trim()}
      title={reason}
      aria-disabled={true}
      data-reason={reason}
      onClick={(e) => e.preventDefault()}
    />
  );
}
