-- Partition pruning: no partition matches, so no file is read at all.
SELECT count(*) AS trips
FROM trips
WHERE month = '13'
