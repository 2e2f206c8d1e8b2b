-- 0002 scan cursor: how far a scan's work iteration is committed.
--
-- The engine dispatches work items (host × port positions of a keyed permutation) in increasing
-- position order and writes, in the same transaction as the results, the lowest position still in
-- flight. A resumed scan starts again from there: nothing below the cursor is lost, and the few items
-- above it that had already finished are probed again and upserted (never duplicated).
-- Decimal text, because a position can exceed 2^63 for IPv6 ranges.
ALTER TABLE scans ADD COLUMN cursor TEXT;
