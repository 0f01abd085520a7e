-- The audit log's writers and its guard. Every change made by a signed-in user (in practice: admins
-- through GraphQL and the admin functions) is logged. Statement-level triggers with transition tables write one
-- row per changed row in a single insert, so a 600-seat layout or a whole event's inventory costs one
-- statement, not 600 trigger calls. The log is append-only: the guard refuses update, delete and
-- truncate for everyone, owner included.

create or replace function app_hidden.audit_changes() returns trigger
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := nullif(current_setting('jwt.claims.user_id', true), '')::uuid;
  -- The role the request switched to (set_config('role')); the owner's own name when none was set.
  v_role text := coalesce(nullif(current_setting('role', true), 'none'), session_user);
begin
  -- Changes made through the API carry a user; the owner's own bulk work (the importer, migrations,
  -- test fixtures) carries none and is not an admin change: it is not logged (an importer run would
  -- otherwise double its writes).
  if v_user is null then
    return null;
  end if;
  -- plpgsql compiles a trigger function once per table, so these static queries fit each table.
  if tg_op = 'INSERT' then
    insert into app_public.audit_log (actor_user_id, actor_role, table_name, operation, row_key, before, after)
    select v_user, v_role, tg_table_name, 'insert', app_hidden.audit_row_key(to_jsonb(n)), null, to_jsonb(n) from new_rows n;
  elsif tg_op = 'UPDATE' then
    insert into app_public.audit_log (actor_user_id, actor_role, table_name, operation, row_key, before, after)
    select v_user, v_role, tg_table_name, 'update', app_hidden.audit_row_key(to_jsonb(n)), to_jsonb(o), to_jsonb(n)
      from new_rows n join old_rows o on app_hidden.audit_row_key(to_jsonb(o)) = app_hidden.audit_row_key(to_jsonb(n))
     where to_jsonb(o) is distinct from to_jsonb(n);
  else
    insert into app_public.audit_log (actor_user_id, actor_role, table_name, operation, row_key, before, after)
    select v_user, v_role, tg_table_name, 'delete', app_hidden.audit_row_key(to_jsonb(o)), to_jsonb(o), null from old_rows o;
  end if;
  return null;
end;
$$;
comment on function app_hidden.audit_changes() is 'Trigger: writes every inserted, updated or deleted row of the table to app_public.audit_log.';

create or replace function app_hidden.audit_row_key(r jsonb) returns text
  language sql immutable
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(r ->> 'id', (r ->> 'event_id') || '/' || (r ->> 'performer_id'));
$$;
comment on function app_hidden.audit_row_key(jsonb) is 'The key an audit row names: the id, or event_id/performer_id.';

do $$
declare
  t text;
begin
  foreach t in array array['venues', 'seats', 'performers', 'events', 'event_performers', 'price_tiers', 'tickets'] loop
    execute format('drop trigger if exists _900_audit_insert on app_public.%I', t);
    execute format('drop trigger if exists _900_audit_update on app_public.%I', t);
    execute format('drop trigger if exists _900_audit_delete on app_public.%I', t);
    execute format('create trigger _900_audit_insert after insert on app_public.%I referencing new table as new_rows
                    for each statement execute function app_hidden.audit_changes()', t);
    execute format('create trigger _900_audit_update after update on app_public.%I referencing old table as old_rows new table as new_rows
                    for each statement execute function app_hidden.audit_changes()', t);
    execute format('create trigger _900_audit_delete after delete on app_public.%I referencing old table as old_rows
                    for each statement execute function app_hidden.audit_changes()', t);
  end loop;
end
$$;

create or replace function app_hidden.audit_log_is_append_only() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_hidden.raise_error('BXAUD', 'The audit log is append-only.', jsonb_build_object('operation', lower(tg_op)));
  return null;
end;
$$;
comment on function app_hidden.audit_log_is_append_only() is 'Trigger: refuses any change to the audit log but appending.';
-- (The migration that creates the log runs after this file on a fresh database; then on the next pass.)
do $$
begin
  if to_regclass('app_public.audit_log') is not null then
    drop trigger if exists _100_append_only on app_public.audit_log;
    create trigger _100_append_only before update or delete on app_public.audit_log
      for each row execute function app_hidden.audit_log_is_append_only();
    drop trigger if exists _100_append_only_truncate on app_public.audit_log;
    create trigger _100_append_only_truncate before truncate on app_public.audit_log
      for each statement execute function app_hidden.audit_log_is_append_only();
  end if;
end
$$;
