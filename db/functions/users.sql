-- Who is asking: the server passes the verified user as the setting jwt.claims.user_id.

create or replace function app_public.current_user_id() returns uuid
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select nullif(current_setting('jwt.claims.user_id', true), '')::uuid;
$$;
comment on function app_public.current_user_id() is 'The signed-in user''s id, or null for anonymous requests.';
grant execute on function app_public.current_user_id() to boxoffice_visitor;

create or replace function app_public.current_user() returns app_public.users
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select u.* from app_public.users u where u.id = app_public.current_user_id();
$$;
comment on function app_public.current_user() is 'The signed-in user, or null.';
grant execute on function app_public.current_user() to boxoffice_visitor;

-- Called by the server (as the authenticator, before switching role) for every verified token:
-- creates the user on first sight and keeps email and name current.
create or replace function app_private.upsert_user(issuer text, subject text, email text, name text)
  returns uuid
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_user app_public.users;
begin
  -- Every request passes through here: read first so that an unchanged user costs no write.
  select * into v_user from app_public.users u
   where u.issuer = upsert_user.issuer and u.subject = upsert_user.subject;
  if found and v_user.email is not distinct from nullif(upsert_user.email, '')
     and v_user.name is not distinct from nullif(upsert_user.name, '') then
    return v_user.id;
  end if;
  insert into app_public.users as u (issuer, subject, email, name)
  values (upsert_user.issuer, upsert_user.subject, nullif(upsert_user.email, ''), nullif(upsert_user.name, ''))
  on conflict (issuer, subject) do update
    set email = excluded.email, name = excluded.name, updated_at = now()
  returning u.id into v_user.id;
  return v_user.id;
end;
$$;
grant execute on function app_private.upsert_user(text, text, text, text) to boxoffice_authenticator;

-- The server's sign-in step for every verified token (cached per identity for a short while): the
-- user's id, and whether the admins table lists them, which alone decides the boxoffice_admin role.
create or replace function app_private.sign_in(issuer text, subject text, email text, name text,
                                               out user_id uuid, out is_admin boolean)
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  user_id := app_private.upsert_user(issuer, subject, email, name);
  is_admin := exists (select 1 from app_private.admins a where a.user_id = sign_in.user_id);
end;
$$;
comment on function app_private.sign_in(text, text, text, text) is 'Creates or updates the user of a verified token; returns the id and whether the user is an admin.';
grant execute on function app_private.sign_in(text, text, text, text) to boxoffice_authenticator;
