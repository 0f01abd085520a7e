-- One way to raise Boxoffice's own errors: a five-character SQLSTATE (listed with its HTTP status and
-- code in docs/error_codes.md) and a JSON detail that the server passes on as error.details.

create or replace function app_hidden.raise_error(code text, message text, details jsonb default '{}')
  returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  raise exception using errcode = code, message = message, detail = details::text;
end;
$$;
comment on function app_hidden.raise_error(text, text, jsonb) is 'Raises a Boxoffice error with its SQLSTATE and JSON details.';
grant execute on function app_hidden.raise_error(text, text, jsonb) to boxoffice_visitor;
