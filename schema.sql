-- The whole schema of the contacts store. Embedded into the binary (include_str!) and applied
-- to a new database; `PRAGMA user_version` records which version a file is at.
-- Timestamps are INTEGER milliseconds since the Unix epoch (UTC); dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  login         TEXT NOT NULL COLLATE NOCASE UNIQUE,
  firstname     TEXT NOT NULL DEFAULT '',
  lastname      TEXT NOT NULL DEFAULT '',
  mail          TEXT,
  admin         INTEGER NOT NULL DEFAULT 0,
  status        INTEGER NOT NULL DEFAULT 1,          -- 1 active, 2 registered, 3 locked
  password_hash TEXT,                                -- argon2id PHC string
  api_key       TEXT UNIQUE,
  created_on    INTEGER NOT NULL,
  updated_on    INTEGER NOT NULL,
  last_login_on INTEGER
);

CREATE TABLE projects (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  identifier  TEXT NOT NULL UNIQUE,
  description TEXT,
  homepage    TEXT,
  is_public   INTEGER NOT NULL DEFAULT 1,
  parent_id   INTEGER REFERENCES projects(id),
  status      INTEGER NOT NULL DEFAULT 1,            -- 1 active, 5 closed, 9 archived
  created_on  INTEGER NOT NULL,
  updated_on  INTEGER NOT NULL
);

CREATE TABLE enabled_modules (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  PRIMARY KEY (project_id, name)
) WITHOUT ROWID;

-- builtin: 0 a normal role, 1 "Non member" (logged-in users in public projects), 2 "Anonymous".
CREATE TABLE roles (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  position    INTEGER NOT NULL DEFAULT 1,
  assignable  INTEGER NOT NULL DEFAULT 1,
  builtin     INTEGER NOT NULL DEFAULT 0,
  permissions TEXT NOT NULL DEFAULT ''               -- space separated permission names
);
INSERT INTO roles (id, name, position, assignable, builtin) VALUES
  (1, 'Non member', 1, 0, 1),
  (2, 'Anonymous', 2, 0, 2);

CREATE TABLE members (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  created_on INTEGER NOT NULL,
  UNIQUE (user_id, project_id)
);
CREATE INDEX members_project ON members(project_id);

CREATE TABLE member_roles (
  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  role_id   INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (member_id, role_id)
) WITHOUT ROWID;

-- customized_type: 'contact', 'deal' or 'note'.
CREATE TABLE custom_fields (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  customized_type TEXT NOT NULL,
  field_format    TEXT NOT NULL DEFAULT 'string',
  possible_values TEXT NOT NULL DEFAULT '[]',        -- JSON array of strings
  regexp          TEXT,
  min_length      INTEGER,
  max_length      INTEGER,
  is_required     INTEGER NOT NULL DEFAULT 0,
  is_for_all      INTEGER NOT NULL DEFAULT 1,
  is_filter       INTEGER NOT NULL DEFAULT 0,
  searchable      INTEGER NOT NULL DEFAULT 0,
  multiple        INTEGER NOT NULL DEFAULT 0,
  default_value   TEXT,
  visible         INTEGER NOT NULL DEFAULT 1,
  position        INTEGER NOT NULL DEFAULT 1,
  UNIQUE (customized_type, name)
);

-- One row per value (multi-value fields have several rows, in position order).
CREATE TABLE custom_values (
  id              INTEGER PRIMARY KEY,
  customized_type TEXT NOT NULL,
  customized_id   INTEGER NOT NULL,
  custom_field_id INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
  value           TEXT
);
-- By record, then rowid: a record's values come out in storage order without a sort, and
-- from the index alone (it covers what a record's load reads), one page read fewer a record.
CREATE INDEX custom_values_customized ON custom_values(customized_type, customized_id, id, custom_field_id, value);

CREATE TABLE contacts (
  id             INTEGER PRIMARY KEY,
  first_name     TEXT NOT NULL,
  last_name      TEXT,
  middle_name    TEXT,
  company        TEXT,
  phone          TEXT,                               -- comma separated list, as the plugin stores it
  email          TEXT,                               -- comma separated list, spaces removed
  website        TEXT,
  skype_name     TEXT,
  birthday       TEXT,
  job_title      TEXT,
  background     TEXT,
  is_company     INTEGER NOT NULL DEFAULT 0,
  author_id      INTEGER NOT NULL DEFAULT 0,
  assigned_to_id INTEGER,
  visibility     INTEGER NOT NULL DEFAULT 0 CHECK (visibility IN (0, 1, 2)),
  created_on     INTEGER NOT NULL,
  updated_on     INTEGER NOT NULL
);
-- The default list order (last name, first name, id; binary collation, as the plugin sorts)
-- walks this index and stops after a page.
CREATE INDEX contacts_name_order ON contacts(last_name, first_name, id);
CREATE INDEX contacts_company ON contacts(company);
CREATE INDEX contacts_assigned ON contacts(assigned_to_id);
CREATE INDEX contacts_author ON contacts(author_id);

CREATE TABLE contacts_projects (
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  PRIMARY KEY (contact_id, project_id)
) WITHOUT ROWID;
CREATE INDEX contacts_projects_project ON contacts_projects(project_id, contact_id);

-- The business address of a contact (at most one each).
CREATE TABLE addresses (
  id             INTEGER PRIMARY KEY,
  contact_id     INTEGER NOT NULL UNIQUE REFERENCES contacts(id) ON DELETE CASCADE,
  street1        TEXT,
  street2        TEXT,
  city           TEXT,
  region         TEXT,
  postcode       TEXT,
  country_code   TEXT,
  full_address   TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);

CREATE TABLE tags (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE
);

-- position keeps the order in which the tags were given (tag_list is shown in that order, and
-- the key reads them so without a sort). The key's columns come first: SQLite before 3.42
-- (Debian 12's sqlite3, 3.40) misreads a NOT NULL column declared between the key columns of
-- a WITHOUT ROWID table and reports "NULL value in taggings.tag_id" in integrity_check.
CREATE TABLE taggings (
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
CREATE INDEX taggings_tag ON taggings(tag_id, contact_id);

-- The search text of each contact: first/last/middle name, company, e-mails, phones and job
-- title, lower-cased (Unicode) and joined by newlines (a search word never holds white space,
-- so it can never match across two fields). Kept as a plain table so that one contact's text
-- is a cheap lookup when a list is walked in its own order.
CREATE TABLE search_texts (
  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  body       TEXT NOT NULL
);

-- Trigram index of those texts (rowid = contact id), with search_texts as its external
-- content: the text is stored once, and the writer keeps the two in step at the end of each
-- transaction (a delete names the old text, which FTS5 records as a delete marker). A quoted
-- trigram matches the texts holding it.
CREATE VIRTUAL TABLE contacts_search USING fts5(
  body, content = 'search_texts', content_rowid = 'contact_id', tokenize = 'trigram case_sensitive 1'
);
-- How many contacts hold each trigram: a long search word is looked up by its rarest
-- trigrams and then checked as a whole against search_texts.
CREATE VIRTUAL TABLE contacts_search_terms USING fts5vocab(contacts_search, 'row');

-- BEGIN search index queue (schema 4; `migrate` applies this section to older files)
-- The texts a write transaction changed, with the text the index holds for each (NULL: none),
-- so the writer updates the index once per transaction (`store::search_index::flush`), not in
-- each request's savepoint: FTS5 writes out its pending terms at every savepoint, which made
-- one index segment per created contact and merging them a third of the writer's time at a
-- million contacts. Only the first change of a contact in a transaction is recorded (its old
-- text is the indexed one); the inserts test NOT EXISTS because an outer upsert's conflict
-- clause would override a trigger's OR IGNORE.
CREATE TABLE IF NOT EXISTS search_index_queue (
  contact_id INTEGER PRIMARY KEY,
  indexed    TEXT
);
CREATE TRIGGER IF NOT EXISTS search_texts_insert AFTER INSERT ON search_texts BEGIN
  INSERT INTO search_index_queue (contact_id, indexed) SELECT new.contact_id, NULL
   WHERE NOT EXISTS (SELECT 1 FROM search_index_queue WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS search_texts_update AFTER UPDATE ON search_texts BEGIN
  INSERT INTO search_index_queue (contact_id, indexed) SELECT old.contact_id, old.body
   WHERE NOT EXISTS (SELECT 1 FROM search_index_queue WHERE contact_id = old.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS search_texts_delete AFTER DELETE ON search_texts BEGIN
  INSERT INTO search_index_queue (contact_id, indexed) SELECT old.contact_id, old.body
   WHERE NOT EXISTS (SELECT 1 FROM search_index_queue WHERE contact_id = old.contact_id);
END;
-- END search index queue

-- BEGIN contact cards (schema 3; `migrate` applies this section to older files)
-- The read model of contacts: one row per contact holding everything its answer shows except
-- the names of its author, assignee and projects (those change without the contact changing,
-- and are joined in from the small, always cached users and projects tables when read). A
-- contact's load reads this one row instead of a page in each of six B-trees (contact,
-- address index and row, taggings, custom values, projects); at a million contacts each of
-- those is a read from outside the page cache. The triggers below mark a contact stale on any
-- change of its rows (cascades included); the writer rebuilds the marked cards from
-- `contact_card_source` at the end of each write job, inside the job's savepoint, so a card
-- never disagrees with its rows once a write is committed.
CREATE TABLE IF NOT EXISTS contact_cards (
  contact_id     INTEGER PRIMARY KEY,
  is_company     INTEGER NOT NULL,
  first_name     TEXT NOT NULL,
  last_name      TEXT,
  middle_name    TEXT,
  company        TEXT,
  website        TEXT,
  skype_name     TEXT,
  birthday       TEXT,
  job_title      TEXT,
  background     TEXT,
  phone          TEXT,
  email          TEXT,
  author_id      INTEGER NOT NULL,
  assigned_to_id INTEGER,
  visibility     INTEGER NOT NULL,
  created_on     INTEGER NOT NULL,
  updated_on     INTEGER NOT NULL,
  address_id     INTEGER,
  street1        TEXT,
  street2        TEXT,
  city           TEXT,
  region         TEXT,
  postcode       TEXT,
  country_code   TEXT,
  full_address   TEXT,
  address_created_at INTEGER,
  address_updated_at INTEGER,
  tags           TEXT NOT NULL,  -- JSON array of names, in position order
  custom_values  TEXT NOT NULL,  -- JSON array of [custom_field_id, value], in storage order
  project_ids    TEXT NOT NULL   -- JSON array of ids, ascending
);
CREATE VIEW IF NOT EXISTS contact_card_source AS
SELECT c.id, c.is_company, c.first_name, c.last_name, c.middle_name, c.company,
       c.website, c.skype_name, c.birthday, c.job_title, c.background, c.phone, c.email,
       c.author_id, c.assigned_to_id, c.visibility, c.created_on, c.updated_on,
       ad.id, ad.street1, ad.street2, ad.city, ad.region, ad.postcode, ad.country_code,
       ad.full_address, ad.created_at, ad.updated_at,
       (SELECT json_group_array(name) FROM (SELECT g.name FROM taggings t JOIN tags g ON g.id = t.tag_id
         WHERE t.contact_id = c.id ORDER BY t.position)),
       (SELECT json_group_array(json_array(custom_field_id, value)) FROM (SELECT custom_field_id, value
         FROM custom_values WHERE customized_type = 'contact' AND customized_id = c.id ORDER BY id)),
       (SELECT json_group_array(project_id) FROM (SELECT project_id FROM contacts_projects
         WHERE contact_id = c.id ORDER BY project_id))
  FROM contacts c
  LEFT JOIN addresses ad ON ad.contact_id = c.id;
-- Contacts whose card is to be rebuilt; empty outside a write job.
CREATE TABLE IF NOT EXISTS contact_cards_stale (contact_id INTEGER PRIMARY KEY) WITHOUT ROWID;
-- The marks are inserted only where missing rather than with OR IGNORE: an outer statement's
-- conflict clause (an upsert's included) would override a trigger's.
CREATE TRIGGER IF NOT EXISTS card_contact_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contact_cards_stale SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.id);
END;
CREATE TRIGGER IF NOT EXISTS card_contact_update AFTER UPDATE ON contacts BEGIN
  INSERT INTO contact_cards_stale SELECT old.id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.id);
  INSERT INTO contact_cards_stale SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.id);
END;
CREATE TRIGGER IF NOT EXISTS card_contact_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contact_cards_stale SELECT old.id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.id);
END;
CREATE TRIGGER IF NOT EXISTS card_address_insert AFTER INSERT ON addresses BEGIN
  INSERT INTO contact_cards_stale SELECT new.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_address_update AFTER UPDATE ON addresses BEGIN
  INSERT INTO contact_cards_stale SELECT old.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.contact_id);
  INSERT INTO contact_cards_stale SELECT new.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_address_delete AFTER DELETE ON addresses BEGIN
  INSERT INTO contact_cards_stale SELECT old.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_tagging_insert AFTER INSERT ON taggings BEGIN
  INSERT INTO contact_cards_stale SELECT new.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_tagging_update AFTER UPDATE ON taggings BEGIN
  INSERT INTO contact_cards_stale SELECT old.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.contact_id);
  INSERT INTO contact_cards_stale SELECT new.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_tagging_delete AFTER DELETE ON taggings BEGIN
  INSERT INTO contact_cards_stale SELECT old.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_project_insert AFTER INSERT ON contacts_projects BEGIN
  INSERT INTO contact_cards_stale SELECT new.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_project_update AFTER UPDATE ON contacts_projects BEGIN
  INSERT INTO contact_cards_stale SELECT old.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.contact_id);
  INSERT INTO contact_cards_stale SELECT new.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_project_delete AFTER DELETE ON contacts_projects BEGIN
  INSERT INTO contact_cards_stale SELECT old.contact_id WHERE NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.contact_id);
END;
CREATE TRIGGER IF NOT EXISTS card_custom_value_insert AFTER INSERT ON custom_values BEGIN
  INSERT INTO contact_cards_stale SELECT new.customized_id WHERE new.customized_type = 'contact' AND NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.customized_id);
END;
CREATE TRIGGER IF NOT EXISTS card_custom_value_update AFTER UPDATE ON custom_values BEGIN
  INSERT INTO contact_cards_stale SELECT old.customized_id WHERE old.customized_type = 'contact' AND NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.customized_id);
  INSERT INTO contact_cards_stale SELECT new.customized_id WHERE new.customized_type = 'contact' AND NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = new.customized_id);
END;
CREATE TRIGGER IF NOT EXISTS card_custom_value_delete AFTER DELETE ON custom_values BEGIN
  INSERT INTO contact_cards_stale SELECT old.customized_id WHERE old.customized_type = 'contact' AND NOT EXISTS (SELECT 1 FROM contact_cards_stale WHERE contact_id = old.customized_id);
END;
-- END contact cards

CREATE TABLE deal_statuses (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  position    INTEGER NOT NULL DEFAULT 1,
  is_default  INTEGER NOT NULL DEFAULT 0,
  status_type INTEGER NOT NULL DEFAULT 0,            -- 0 open, 1 won, 2 lost
  color       INTEGER NOT NULL DEFAULT 11184810
);

CREATE TABLE deal_categories (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  UNIQUE (project_id, name)
);

CREATE TABLE deals (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL,
  background     TEXT,
  currency       TEXT,
  duration       INTEGER DEFAULT 1,
  price          TEXT,                               -- decimal kept as text, e.g. '12000.0'
  price_type     INTEGER,
  project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  author_id      INTEGER NOT NULL DEFAULT 0,
  assigned_to_id INTEGER,
  status_id      INTEGER REFERENCES deal_statuses(id),
  contact_id     INTEGER,                            -- primary contact; may dangle, as in the plugin
  category_id    INTEGER REFERENCES deal_categories(id) ON DELETE SET NULL,
  due_date       INTEGER,
  probability    INTEGER,
  created_on     INTEGER NOT NULL,
  updated_on     INTEGER NOT NULL
);
CREATE INDEX deals_contact ON deals(contact_id);
CREATE INDEX deals_project ON deals(project_id);

-- A deal's related contacts.
CREATE TABLE contacts_deals (
  deal_id    INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (deal_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX contacts_deals_contact ON contacts_deals(contact_id, deal_id);

-- Notes of contacts and deals (source_type 'Contact' or 'Deal').
CREATE TABLE notes (
  id          INTEGER PRIMARY KEY,
  subject     TEXT,
  content     TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source_id   INTEGER NOT NULL,
  author_id   INTEGER NOT NULL DEFAULT 0,
  type_id     INTEGER,
  created_on  INTEGER NOT NULL,
  updated_on  INTEGER NOT NULL
);
CREATE INDEX notes_source ON notes(source_type, source_id, id);

-- BEGIN crm v5
-- Status changes of deals (the plugin's deal_processes): one row per change of status_id.
CREATE TABLE IF NOT EXISTS deal_processes (
  id         INTEGER PRIMARY KEY,
  deal_id    INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
  author_id  INTEGER NOT NULL DEFAULT 0,
  old_value  INTEGER,                                -- the previous status id
  value      INTEGER,                                -- the new status id
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deal_processes_deal ON deal_processes(deal_id, id);
CREATE INDEX IF NOT EXISTS deals_status ON deals(status_id, created_on);
CREATE INDEX IF NOT EXISTS deals_created ON deals(created_on);

-- Saved queries of contact and deal lists (the plugin's crm_queries). filters: JSON object
-- {field: {"operator": op, "values": [..]}} as Redmine stores them; column_names and
-- sort_criteria: JSON arrays ([["last_name","desc"], …]). visibility: 0 private (the user's
-- own), 1 for the roles in crm_queries_roles, 2 public.
CREATE TABLE IF NOT EXISTS crm_queries (
  id            INTEGER PRIMARY KEY,
  type          TEXT NOT NULL,                       -- 'ContactQuery' or 'DealQuery'
  name          TEXT NOT NULL,
  project_id    INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  user_id       INTEGER NOT NULL DEFAULT 0,
  visibility    INTEGER NOT NULL DEFAULT 0,
  filters       TEXT NOT NULL DEFAULT '{}',
  column_names  TEXT NOT NULL DEFAULT '[]',
  sort_criteria TEXT NOT NULL DEFAULT '[]',
  created_on    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_queries_type ON crm_queries(type, name);
CREATE TABLE IF NOT EXISTS crm_queries_roles (
  query_id INTEGER NOT NULL REFERENCES crm_queries(id) ON DELETE CASCADE,
  role_id  INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (query_id, role_id)
) WITHOUT ROWID;
-- Ids are never given twice (Redmine's tables count on AUTO_INCREMENT): SQLite would hand a
-- deleted highest id to the next row, so each delete notes the highest id deleted and creates
-- take the next id after both (`store::next_id`).
CREATE TABLE IF NOT EXISTS id_high_water (
  name TEXT PRIMARY KEY,
  last INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS contacts_high_water AFTER DELETE ON contacts BEGIN
  INSERT INTO id_high_water (name, last) VALUES ('contacts', old.id)
    ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
END;
CREATE TRIGGER IF NOT EXISTS deals_high_water AFTER DELETE ON deals BEGIN
  INSERT INTO id_high_water (name, last) VALUES ('deals', old.id)
    ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
END;
CREATE TRIGGER IF NOT EXISTS notes_high_water AFTER DELETE ON notes BEGIN
  INSERT INTO id_high_water (name, last) VALUES ('notes', old.id)
    ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
END;
-- END crm v5

-- BEGIN web sessions (schema 6; `migrate` applies this section to older files)
-- Sessions of the web interface (src/web/): the cookie carries a random token, the table only
-- its BLAKE2s hash, so that the file alone opens no session. A session ends at logout, when
-- its user is deleted (cascade) or locked (not found then), and `expires_on` after the last
-- time it was seen (moved forward at most once an hour).
CREATE TABLE IF NOT EXISTS sessions (
  token_hash BLOB PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_on INTEGER NOT NULL,
  seen_on    INTEGER NOT NULL,
  expires_on INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires_on);
-- END web sessions
