-- revenue_trend: weekly revenue over a window of ISO weeks, total and by segment (SPEC §10 Charts).
--
-- Grain: one row per ISO week × dimension for the scope, for the weeks of the window that hold at
--   least one revenue row: dimension 'total' (segment null) and 'segment' (one row per segment
--   with rows that week). week_start is the week's Monday as 'YYYY-MM-DD'. A week without any
--   revenue row has no row at all: it is a week with no data received, never a revenue of 0, and
--   the caller (computeKpis) marks it so. province_days counts the province-days of the week that
--   hold revenue rows (the test received_days uses), the same on every row of the week, so the
--   caller can tell a week received in full from one with days missing (whose sum reads low).
--
-- Parameters, bound in order ('YYYY-MM-DD' strings; scope is 'ALL' or a province code):
--    1 start    Monday of the first week of the window
--    2 end      Sunday of the last week (the report's week)
--    3 scope
--    4 scope

with

revenue_rows as (
    select
        cast(cast(date_trunc('week', cast(dt as date)) as date) as varchar) as week_start,
        province,
        dt,
        segment,
        revenue
    from revenue
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
),

week_days as (
    select
        week_start,
        count(distinct province || '/' || dt) as province_days
    from revenue_rows
    group by week_start
),

week_revenue as (
    select
        week_start,
        case when grouping(segment) = 0 then 'segment' else 'total' end as dimension,
        segment,
        sum(revenue) as revenue
    from revenue_rows
    group by grouping sets ((week_start), (week_start, segment))
),

final as (
    select
        r.week_start,
        cast(r.dimension as varchar) as dimension,
        r.segment,
        cast(r.revenue as double) as revenue,
        cast(d.province_days as bigint) as province_days
    from week_revenue as r
    inner join week_days as d on d.week_start = r.week_start
)

select * from final
