// Admin rights, as the admin CLI (scripts/admin.ts) manages them: rows of app_private.admins, written
// as the owner. A user must have signed in once (so that the users row exists) before being granted.
import type pg from 'pg';

export interface AdminRow {
  userId: string;
  email: string | null;
  issuer: string;
  grantedAt: Date;
}

/** Grants admin rights to every user with this email (one per identity provider); returns them. */
export async function grantAdmin(db: pg.Pool | pg.Client, email: string): Promise<string[]> {
  await db.query(
    `insert into app_private.admins (user_id) select id from app_public.users where email = $1::citext
     on conflict (user_id) do nothing`, [email]);
  const users = await db.query<{ id: string }>(`select id from app_public.users where email = $1::citext order by id`, [email]);
  return users.rows.map((r) => r.id);
}

/** Takes admin rights away from every user with this email; returns how many lost them. */
export async function revokeAdmin(db: pg.Pool | pg.Client, email: string): Promise<number> {
  const res = await db.query(
    `delete from app_private.admins a using app_public.users u where u.id = a.user_id and u.email = $1::citext`, [email]);
  return res.rowCount ?? 0;
}

export async function listAdmins(db: pg.Pool | pg.Client): Promise<AdminRow[]> {
  const { rows } = await db.query<AdminRow>(
    `select u.id as "userId", u.email, u.issuer, a.granted_at as "grantedAt"
       from app_private.admins a join app_public.users u on u.id = a.user_id order by u.email, u.issuer`);
  return rows;
}
