import type { Response, Router } from 'express';
import type { z } from 'zod';

/**
 * The body of a control-API call (tests, demo) as `schema` reads it, or undefined when it does not
 * fit: a 400 `{error, issues}` is then already sent.
 */
export function parseControlBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  res: Response,
  error: string,
): z.output<S> | undefined {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  res.status(400).json({ error, issues: parsed.error.issues.map((i) => i.message) });
  return undefined;
}

/**
 * A control API's `POST /faults`: the knobs in the body (the simulator's schema, strict) are applied
 * by `apply`, which returns the knobs now in force for the answer.
 */
export function faultsRoute<S extends z.ZodType>(
  control: Router,
  schema: S,
  apply: (faults: z.output<S>) => unknown,
): void {
  control.post('/faults', (req, res) => {
    const faults = parseControlBody(schema, req.body, res, 'invalid faults');
    if (faults) res.json(apply(faults));
  });
}
