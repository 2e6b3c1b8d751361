-- Derived tables, built once per runner from _life (the lifecycle rows:
-- exec, fork, exit, keyframe, exe_hash, heartbeat, user, group; column t
-- is ts in ns). Statements end with ";" at the end of a line. The process
-- instances are built in Go (procbuild.go), between this file and
-- finish.sql.

CREATE OR REPLACE TEMP TABLE hashes AS
SELECT exe_dev, exe_ino, exe_ctime, exe_mtime, exe_size,
       arg_max(sha256, t) FILTER (WHERE sha256 IS NOT NULL) AS sha256,
       coalesce(arg_max(hash_source, t) FILTER (WHERE sha256 IS NOT NULL), arg_max(hash_source, t)) AS hash_source,
       arg_max(hash_error, t) FILTER (WHERE sha256 IS NULL) AS hash_error,
       min(ts) AS first_hashed_ts
FROM _life
WHERE kind = 'exe_hash'
GROUP BY exe_dev, exe_ino, exe_ctime, exe_mtime, exe_size;

CREATE OR REPLACE TEMP TABLE users AS
SELECT uid, arg_max(user_name, t) AS user_name, arg_max(user_home, t) AS user_home,
       arg_max(user_shell, t) AS user_shell
FROM _life WHERE kind = 'user' GROUP BY uid;

CREATE OR REPLACE TEMP TABLE groups AS
SELECT gid, arg_max(group_name, t) AS group_name
FROM _life WHERE kind = 'group' GROUP BY gid;
