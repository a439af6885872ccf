/**
 * The state every add/edit dialog keeps: the form's text fields, local validation errors,
 * errors the server named per field, and whether a save is running; plus the submit flow
 * (validate, save, map the server's field errors and conflicts back onto the fields).
 */
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/errors';
import type { FieldErrors } from './validation';

type Key<F> = Extract<keyof F, string>;

export interface DialogForm<F extends { [K in keyof F]: string }> {
  form: F;
  busy: boolean;
  /** An input's change handler for field `k`. */
  set: (k: Key<F>) => (e: { target: { value: string } }) => void;
  /** The error to show under field `k`: the server's, else the local one, translated by `tk`. */
  err: (k: Key<F>, tk: (key: string) => string) => string | undefined;
  /** A submit handler: validates, then saves the valid value. */
  submit: <V>(
    validate: (form: F) => { errors: FieldErrors<Key<F>>; value: V | null },
    save: (value: V) => Promise<void>,
    onConflict: (error: ApiError) => Record<string, string>,
    onOtherError: (error: unknown) => void,
    /** The form field a server field name belongs to (`exclude.gift_ids` -> `exclude_ids`). */
    fieldOf?: (serverField: string) => string,
  ) => (e: FormEvent) => Promise<void>;
}

export function useDialogForm<F extends { [K in keyof F]: string }>(initial: F | (() => F)): DialogForm<F> {
  const [form, setForm] = useState<F>(initial);
  const [errors, setErrors] = useState<FieldErrors<Key<F>>>({});
  const [server, setServer] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  return {
    form,
    busy,
    set: (k) => (e) => setForm((f) => ({ ...f, [k]: e.target.value })),
    err: (k, tk) => {
      const local = errors[k];
      return server[k] ?? (local ? tk(local) : undefined);
    },
    submit: (validate, save, onConflict, onOtherError, fieldOf = (f) => f) => async (e) => {
      e.preventDefault();
      const { errors: found, value } = validate(form);
      setErrors(found);
      setServer({});
      if (value === null) return;
      setBusy(true);
      try {
        await save(value);
      } catch (error) {
        if (error instanceof ApiError && Object.keys(error.fields).length > 0) {
          const mapped: Record<string, string> = {};
          for (const [field, message] of Object.entries(error.fields)) mapped[fieldOf(field)] = message;
          setServer(mapped);
        }
        else if (error instanceof ApiError && error.conflict) setServer(onConflict(error));
        else onOtherError(error);
      } finally {
        setBusy(false);
      }
    },
  };
}
