"""search: PostgreSQL full-text documents (STOCKHOUSE_SEARCH=postgres)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00

PostgreSQL only: SQLite deployments search with the embedded Tantivy index, so this
revision creates nothing there. The tables are derived from the catalog and rebuilt by
`PostgresSearchBackend.rebuild()`, which copies their layout and indexes from here.

Text is analysed like the Tantivy index analyses it: a `sh_<language>` configuration per
Snowball stemmer (without stop-word lists, so that every word can be searched) and
`sh_simple` for other languages, each folding accents first (unaccent).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The Snowball stemmers the Tantivy index uses (search/documents.py STEMMERS).
STEMMED_LANGUAGES = (
    "arabic",
    "danish",
    "dutch",
    "english",
    "finnish",
    "french",
    "german",
    "greek",
    "hungarian",
    "italian",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
)
PARSER_WORD_TYPES = "asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart"


def _text_configurations() -> list[str]:
    statements = []
    for language in STEMMED_LANGUAGES:
        statements += [
            f"CREATE TEXT SEARCH DICTIONARY sh_{language}_stem "
            f"(TEMPLATE = snowball, Language = {language})",
            f"CREATE TEXT SEARCH CONFIGURATION sh_{language} (COPY = simple)",
            f"ALTER TEXT SEARCH CONFIGURATION sh_{language} ALTER MAPPING FOR {PARSER_WORD_TYPES} "
            f"WITH unaccent, sh_{language}_stem",
        ]
    statements += [
        "CREATE TEXT SEARCH CONFIGURATION sh_simple (COPY = simple)",
        f"ALTER TEXT SEARCH CONFIGURATION sh_simple ALTER MAPPING FOR {PARSER_WORD_TYPES} "
        "WITH unaccent, simple",
    ]
    return statements


# One row per item, every status: `searchable` (active and visible) is what the default
# query asks for, and what the partial indexes cover.
CREATE_DOCUMENT = """
CREATE TABLE search_document (
    item_id integer NOT NULL,
    searchable boolean NOT NULL,
    status varchar(32) NOT NULL,
    visible boolean NOT NULL,
    kind varchar(32) NOT NULL,
    owner_id integer NOT NULL,
    owner_username varchar(64) NOT NULL,
    title varchar(300) NOT NULL,
    extension varchar(16) NOT NULL,
    editorial boolean NOT NULL,
    nudity boolean NOT NULL,
    exclusive boolean NOT NULL,
    free boolean NOT NULL,
    ai_generated boolean NOT NULL,
    people_only boolean NOT NULL,
    orientation varchar(32),
    color integer,
    width integer,
    height integer,
    duration_ms integer,
    people_gender varchar(16),
    people_age varchar(16),
    people_race varchar(32),
    people_quantity integer,
    series_id integer,
    video_standard integer,
    model_release boolean NOT NULL,
    category_ids integer[] NOT NULL DEFAULT '{}',
    views integer NOT NULL,
    downloads integer NOT NULL,
    published_at timestamptz,
    published_s bigint NOT NULL,
    created_s bigint NOT NULL,
    updated_s bigint NOT NULL,
    tsv tsvector NOT NULL,
    CONSTRAINT pk_search_document PRIMARY KEY (item_id),
    CONSTRAINT fk_search_document_item_id_media_item FOREIGN KEY (item_id)
        REFERENCES media_item (id) ON DELETE CASCADE
)
"""

# Titles, descriptions and tags of one item in one group of languages other than English:
# a stemmer's languages (`german`), or one unstemmed language (`other:ja`).
CREATE_TEXT = """
CREATE TABLE search_text (
    item_id integer NOT NULL,
    language_key varchar(40) NOT NULL,
    tsv tsvector NOT NULL,
    CONSTRAINT pk_search_text PRIMARY KEY (item_id, language_key),
    CONSTRAINT fk_search_text_item_id_media_item FOREIGN KEY (item_id)
        REFERENCES media_item (id) ON DELETE CASCADE
)
"""

INDEXES = (
    # Text and the commonest filters in one GIN index (btree_gin): the filters are
    # intersected inside the index instead of re-checked row by row.
    "CREATE INDEX ix_search_document_text ON search_document "
    "USING gin (tsv, kind, orientation, color, category_ids) WHERE searchable",
    # Ordered walks for the popular sorts (and relevance over very common words).
    "CREATE INDEX ix_search_document_downloads ON search_document "
    "(downloads DESC, item_id DESC) WHERE searchable",
    "CREATE INDEX ix_search_document_published ON search_document "
    "(published_s DESC, item_id DESC) WHERE searchable",
    "CREATE INDEX ix_search_document_views ON search_document "
    "(views DESC, item_id DESC) WHERE searchable",
    # Counts of colour / orientation / kind browsing, answered from the index alone.
    "CREATE INDEX ix_search_document_browse ON search_document "
    "(color, orientation, kind) WHERE searchable",
    "CREATE INDEX ix_search_document_owner ON search_document (owner_id, status)",
    "CREATE INDEX ix_search_text_tsv ON search_text USING gin (language_key, tsv)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for statement in _text_configurations():
        op.execute(statement)
    op.execute(CREATE_DOCUMENT)
    op.execute(CREATE_TEXT)
    for statement in INDEXES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_text")
    op.execute("DROP TABLE IF EXISTS search_document")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS sh_simple")
    for language in STEMMED_LANGUAGES:
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS sh_{language}")
        op.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS sh_{language}_stem")
