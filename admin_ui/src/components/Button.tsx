import type { ButtonHTMLAttributes, ReactNode } from "react";
import { Link, type LinkProps } from "react-router-dom";

export type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: "normal" | "small";
  /** Shows a spinner and disables the button (e.g. while a form is sent). */
  busy?: boolean;
  icon?: ReactNode;
}

const classes = (variant: ButtonVariant, size: "normal" | "small", extra?: string) =>
  ["btn", `btn-${variant}`, size === "small" ? "btn-small" : "", extra ?? ""]
    .filter(Boolean)
    .join(" ");

/** A button; `type` defaults to "button" so only an explicit submit submits a form. */
export function Button({
  variant = "secondary",
  size = "normal",
  busy = false,
  icon,
  type = "button",
  className,
  disabled,
  children,
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type}
      className={classes(variant, size, className)}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <span className="spinner spinner-inline" aria-hidden="true" /> : icon}
      {children}
    </button>
  );
}

export interface ButtonLinkProps extends LinkProps {
  variant?: ButtonVariant;
  size?: "normal" | "small";
}

/** A link that looks like a button (navigation, not an action). */
export function ButtonLink({ variant = "secondary", size = "normal", className, ...rest }: ButtonLinkProps) {
  return <Link className={classes(variant, size, className)} {...rest} />;
}
