-- When could the recording have missed events?
--
-- Each interval between two heartbeats in which the kernel could not
-- reserve ring-buffer space or user space dropped events: events of that
-- window may be missing from every other query's answer.
SELECT since_ts, until_ts, kernel_drops, user_drops, drops_per_cpu
FROM drops
WHERE kernel_drops > 0 OR user_drops > 0
ORDER BY until_ts;
