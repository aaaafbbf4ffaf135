/** The shapes of the API's JSON that the integration tests read (the OpenAPI document describes them in full). */

/** An entry as `/api/v1/accounts/{acctid}/entries` writes it. */
export interface EntryJson {
  id: number;
  kind: string;
  amount_cents: number;
  amount: string;
  balance_after_cents: number;
  balance_after: string;
  memo: string;
  effective_on: string;
  due_on: string | null;
  reference: string | null;
  open_cents: number | null;
  paid_by: { entry_id: number; amount_cents: number; effective_on: string }[] | null;
  unapplied_cents: number | null;
  applied_to: { charge_id: number; reference: string | null; amount_cents: number; effective_on: string }[] | null;
  actor: string;
  at: string;
}

/** An application/problem+json answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  errors?: { field: string; message: string }[];
}
