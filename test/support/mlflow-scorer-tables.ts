/**
 * MLflow's scorer tables for PostgreSQL test databases (mlflow-postgres-schema.ts leaves them
 * out), in the shape the real genai-sqlite store shows (test/golden/stores/genai-sqlite:
 * `scorers` keyed by the scorer_id UUID, unique per experiment and name; `scorer_versions` keyed
 * by scorer_id and number) with PostgreSQL's types.
 */
export const POSTGRES_SCORER_DDL = `
CREATE TABLE scorers (
	experiment_id INTEGER NOT NULL,
	scorer_name VARCHAR(256) NOT NULL,
	scorer_id VARCHAR(36) NOT NULL,
	CONSTRAINT scorer_pk PRIMARY KEY (scorer_id),
	CONSTRAINT fk_scorers_experiment_id FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX index_scorers_experiment_id_scorer_name ON scorers (experiment_id, scorer_name);
CREATE TABLE scorer_versions (
	scorer_id VARCHAR(36) NOT NULL,
	scorer_version INTEGER NOT NULL,
	serialized_scorer TEXT NOT NULL,
	creation_time BIGINT,
	CONSTRAINT scorer_version_pk PRIMARY KEY (scorer_id, scorer_version),
	CONSTRAINT fk_scorer_versions_scorer_id FOREIGN KEY(scorer_id) REFERENCES scorers (scorer_id) ON DELETE CASCADE
);
CREATE INDEX index_scorer_versions_scorer_id ON scorer_versions (scorer_id);
`;
