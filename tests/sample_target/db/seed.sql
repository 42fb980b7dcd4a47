INSERT INTO policies (name, status) VALUES ('default', 'ACTIVE'), ('legacy', 'INACTIVE');
