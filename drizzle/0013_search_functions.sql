-- Search folds a name the same way in its index and in a query: accents off, lower case,
-- every run of punctuation or spaces one space. unaccent() is only STABLE (it reads a
-- dictionary), so this wrapper names the dictionary itself and is declared IMMUTABLE, which
-- an index expression needs. Both extensions are trusted: a database owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;--> statement-breakpoint
CREATE OR REPLACE FUNCTION kbo_fold(value text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN btrim(regexp_replace(lower(unaccent('unaccent'::regdictionary, value)), '[^[:alnum:]]+', ' ', 'g'));
