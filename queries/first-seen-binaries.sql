-- Which programs ran that were not running when the recording started?
--
-- Executables (by sha256; by file identity when no hash could be taken)
-- executed during the recording whose hash belongs to no process of the
-- first keyframe, with their first execution and how often they ran.
WITH known AS (
    SELECT DISTINCT h.sha256
    FROM first_keyframe k
    JOIN hashes h ON h.exe_dev = k.exe_dev AND h.exe_ino = k.exe_ino
     AND h.exe_ctime IS NOT DISTINCT FROM k.exe_ctime
     AND h.exe_mtime IS NOT DISTINCT FROM k.exe_mtime
     AND h.exe_size IS NOT DISTINCT FROM k.exe_size
    WHERE h.sha256 IS NOT NULL
)
SELECT min(ts) AS first_ts,
       coalesce(sha256, 'unhashed dev=' || exe_dev || ' ino=' || exe_ino) AS sha256,
       arg_min(exe_path, ts) AS exe_path,
       count(*) AS execs,
       arg_min(proc_id, ts) AS first_proc_id,
       arg_min(user_name, ts) AS first_user,
       arg_min(container_id, ts) AS first_container_id,
       arg_min(hash_source, ts) AS hash_source
FROM execs
WHERE sha256 IS NULL OR sha256 NOT IN (SELECT sha256 FROM known)
GROUP BY ALL
ORDER BY first_ts;
