CREATE TABLE escalation (
	id INTEGER NOT NULL, 
	reference VARCHAR(32), 
	idempotency_key VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	user_name VARCHAR(200) NOT NULL, 
	user_email VARCHAR(320) NOT NULL, 
	question TEXT NOT NULL, 
	fields JSON NOT NULL, 
	passages JSON NOT NULL, 
	conversation_reference JSON, 
	notified_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (reference), 
	UNIQUE (idempotency_key)
);
CREATE TABLE escalation_outbox (
	id INTEGER NOT NULL, 
	escalation_id INTEGER NOT NULL, 
	message_id VARCHAR(300) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	last_error VARCHAR(500), 
	created_at DATETIME NOT NULL, 
	delivered_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (escalation_id), 
	FOREIGN KEY(escalation_id) REFERENCES escalation (id), 
	UNIQUE (message_id)
);
CREATE TABLE feedback (
	id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	reply_id VARCHAR(200) NOT NULL, 
	reaction VARCHAR(10) NOT NULL, 
	comment TEXT NOT NULL, 
	question TEXT, 
	answer TEXT, 
	route VARCHAR(20), 
	citations TEXT, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_escalation_outbox_status ON escalation_outbox (status);
CREATE INDEX ix_feedback_reply_id ON feedback (reply_id);
CREATE INDEX ix_turns_created_at ON turns (created_at);
CREATE TABLE turns (
	id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	conversation VARCHAR(64) NOT NULL, 
	question TEXT NOT NULL, 
	route VARCHAR(20) NOT NULL, 
	confidence FLOAT NOT NULL, 
	sources TEXT NOT NULL, 
	redacted VARCHAR(200) NOT NULL, 
	latency_ms INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
