-- Cluster-wide roles, created once per PostgreSQL server (roles are not per database).
-- Run by scripts before graphile-migrate, never by a migration: migrations only grant to these roles.
-- The authenticator's password comes from the session setting boxoffice.authenticator_password.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'boxoffice_visitor') then
    create role boxoffice_visitor nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'boxoffice_admin') then
    create role boxoffice_admin nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'boxoffice_authenticator') then
    create role boxoffice_authenticator login noinherit;
  end if;
  execute format('alter role boxoffice_authenticator with login noinherit password %L',
                 current_setting('boxoffice.authenticator_password'));
  -- admins can do everything visitors can; the server switches into one of the two per request.
  grant boxoffice_visitor to boxoffice_admin;
  grant boxoffice_visitor to boxoffice_authenticator;
  grant boxoffice_admin to boxoffice_authenticator;
end
$$;
