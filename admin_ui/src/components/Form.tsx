// Forms that show the API's errors beside the field they concern.
//
//   const form = useForm({ name: "", description: "" });
//   <form onSubmit={form.submit(async (values) => { await api.post(path, values); })}>
//     <TextField label="Name" {...form.field("name")} />
//     <FormError form={form} />          // errors no field on the page claims
//     <Button type="submit" variant="primary" busy={form.submitting}>Create</Button>
//   </form>
//
// An ApiError's `param` (camelCase, maybe nested: `settings.baseUrl`, `capacity[0].tokens`)
// goes to the field of that name, or of the nearest enclosing name that a field on the page
// registered (`capacity` for `capacity[0].tokens`). Custom controls claim a name with
// `form.errorFor(name)`. Whatever no field claims shows in <FormError>. (Fields spread in the
// form's own render claim before FormError renders wherever it sits; a child component that
// claims in its own render must come before FormError in the tree.)

import { useCallback, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { ApiError, errorMessage } from "../api/client";
import { ErrorBanner } from "./ErrorBanner";

/** Whether `param` is `name` or inside it (`name.x`, `name[0]`). */
export function paramConcerns(param: string, name: string): boolean {
  return param === name || param.startsWith(`${name}.`) || param.startsWith(`${name}[`);
}

/** The message of `error` when it concerns field `name` (without a leading "name: "). */
export function fieldError(error: unknown, name: string): string | null {
  if (!(error instanceof ApiError) || !error.param || !paramConcerns(error.param, name)) {
    return null;
  }
  return error.message.startsWith(`${error.param}: `)
    ? error.message.slice(error.param.length + 2)
    : error.message;
}

type Values = Record<string, unknown>;

export interface FormState<V extends Values> {
  values: V;
  setValue: <K extends keyof V>(name: K, value: V[K]) => void;
  setValues: (values: V) => void;
  /** Props for TextField / SelectField / TextArea bound to a string value. */
  field: (name: keyof V & string) => {
    name: string;
    value: string;
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => void;
    error: string | null;
  };
  /** Props for CheckboxField bound to a boolean value. */
  checkbox: (name: keyof V & string) => {
    name: string;
    checked: boolean;
    onChange: (event: ChangeEvent<HTMLInputElement>) => void;
    error: string | null;
  };
  /** The error for a custom control named `name` (claims it: FormError won't repeat it). */
  errorFor: (name: string) => string | null;
  /** A client-side error beside a field (e.g. "the passwords differ"). */
  setFieldError: (name: string, message: string) => void;
  /** The last error (ApiError or other), or null. */
  error: unknown;
  /** The error when no field on the page claims it. */
  unclaimedError: () => unknown;
  submitting: boolean;
  /** An onSubmit handler: clears errors, runs `handler`, keeps what it throws. */
  submit: (handler: (values: V) => Promise<void> | void) => (event?: FormEvent) => Promise<void>;
  reset: (values?: V) => void;
}

export function useForm<V extends Values>(initial: V): FormState<V> {
  const [values, setValues] = useState<V>(initial);
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const initialRef = useRef(initial);
  // Names the fields rendered this time registered; read by FormError after them.
  const claimed = useRef(new Set<string>());
  claimed.current = new Set<string>();

  const setValue = useCallback(<K extends keyof V>(name: K, value: V[K]) => {
    setValues((current) => ({ ...current, [name]: value }));
  }, []);

  const errorFor = (name: string): string | null => {
    claimed.current.add(name);
    return fieldError(error, name);
  };

  const submit =
    (handler: (values: V) => Promise<void> | void) =>
    async (event?: FormEvent): Promise<void> => {
      event?.preventDefault();
      if (submitting) return;
      setError(null);
      setSubmitting(true);
      try {
        await handler(values);
      } catch (caught) {
        setError(caught);
      } finally {
        setSubmitting(false);
      }
    };

  return {
    values,
    setValue,
    setValues,
    field: (name) => ({
      name,
      value: values[name] === undefined || values[name] === null ? "" : String(values[name]),
      onChange: (event) => setValue(name, event.target.value as V[typeof name]),
      error: errorFor(name),
    }),
    checkbox: (name) => ({
      name,
      checked: Boolean(values[name]),
      onChange: (event) => setValue(name, event.target.checked as V[typeof name]),
      error: errorFor(name),
    }),
    errorFor,
    setFieldError: (name, message) =>
      setError(new ApiError({ status: 400, message, param: name, type: "invalid_request_error" })),
    error,
    unclaimedError: () => {
      if (!error) return null;
      if (error instanceof ApiError && error.param) {
        for (const name of claimed.current) if (paramConcerns(error.param, name)) return null;
      }
      return error;
    },
    submitting,
    submit,
    reset: (next) => {
      setValues(next ?? initialRef.current);
      setError(null);
    },
  };
}

/** The form's error that no field shows, as a banner (nothing otherwise). */
export function FormError<V extends Values>({ form }: { form: FormState<V> }) {
  const error = form.unclaimedError();
  if (!error) return null;
  return <ErrorBanner error={error} />;
}

export { errorMessage };
