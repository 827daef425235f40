-- targets: each monthly target of SPEC §10 beside the figure to date (指标完成率).
--
-- Grain: one row per target of the month for the scope: province × segment (a segment code, or
--   'ALL' for the province as a whole) × kpi (revenue, grossAdds, netAdds, arpu, csat). A province
--   without targets has no row (the caller says 未设指标 for it, never 0 %).
--
-- For month M and report period P inside it, the window is M's first day to P's last day (a week
--   spanning two months reads the month of its last day; a month reads itself whole):
--   actual_to_date  revenue: Σ revenue over the window's received days; grossAdds, netAdds: new
--                   and new − churn sales events; arpu: revenue / activeUsersAvg over those days
--                   (activeUsersAvg as in kpi_rows: the average, over the province's received
--                   revenue days, of Σ active_users); csat: share of the scores given to tickets
--                   opened in the window that are ≥ 4. Null when the KPI's extract has no
--                   received day in the window (no data, not zero), or csat has no score.
--   missing_days    days of the window without a row of the KPI's extract for that province
--                   (revenue for revenue and arpu, sales for grossAdds and netAdds, service for csat).
--   completion      actual_to_date / target.
--   time_progress   days of the window / days of M.
--   gap             completion − time_progress.
--
-- Parameters, bound in order ('YYYY-MM-DD' strings unless said; scope is 'ALL' or a province code,
-- bound once per scan as `? in ('ALL', province)`, as in kpi_rows):
--    1 month 'YYYY-MM'   2 scope                                               targets
--    3 window start      4 window end      5 scope                             revenue
--    6 window start      7 window end      8 scope                             sales
--    9 window start - 1 day  10 window end + 1 day  (service file days: a ticket may sit in the
--      file of the day before or after the Asia/Shanghai day it was opened)
--   11 window start     12 window end     13 scope        tickets opened (those in several files)
--   14 … 18             the same five again                                   tickets opened
--   19 window start     20 window end     21 scope                             service file days
--   22 days of the window (integer)   23 days of the month (integer)
--
-- Athena binds ? only inside a WHERE clause (SELECT ? is not supported): the two day counts
-- are counted off a list of day numbers by WHERE, not selected as values.

with

month_targets as (
    select
        month,
        province,
        segment,
        kpi,
        target
    from targets
    where month = ?
        and ? in ('ALL', province)
),

-- Summed per day, province and segment first: the joins and grouping sets below then see
-- thousands of rows, not millions.
revenue_rows as (
    select
        dt,
        province,
        segment,
        sum(revenue) as revenue,
        sum(active_users) as active_users
    from revenue
    where dt between ? and ?
        and ? in ('ALL', province)
    group by dt, province, segment
),

revenue_days as (
    select
        province,
        count(distinct dt) as days_received
    from revenue_rows
    group by province
),

revenue_with_days as (
    select
        r.province,
        r.segment,
        r.revenue,
        r.active_users,
        d.days_received
    from revenue_rows as r
    inner join revenue_days as d
        on d.province = r.province
),

-- Per province and segment (and the province as a whole: segment 'ALL'); active users are
-- averaged over the days the province sent its revenue extract.
revenue_actuals as (
    select
        province,
        case when grouping(segment) = 1 then 'ALL' else segment end as segment,
        cast(sum(revenue) as decimal(38, 2)) as revenue,
        cast(sum(active_users) as double) / nullif(cast(days_received as double), 0) as active_users_avg
    from revenue_with_days
    group by grouping sets ((province, days_received, segment), (province, days_received))
),

sales_rows as (
    select
        dt,
        province,
        segment,
        count(case when event_type = 'new' then 1 end) as gross_adds,
        count(case when event_type = 'churn' then 1 end) as churned
    from sales
    where dt between ? and ?
        and ? in ('ALL', province)
    group by dt, province, segment
),

sales_days as (
    select
        province,
        count(distinct dt) as days_received
    from sales_rows
    group by province
),

sales_actuals as (
    select
        province,
        case when grouping(segment) = 1 then 'ALL' else segment end as segment,
        sum(gross_adds) as gross_adds,
        sum(churned) as churned
    from sales_rows
    group by grouping sets ((province, segment), (province))
),

-- A ticket counts on its opened day in Asia/Shanghai; when files of neighbouring days both carry
-- it, the later file's version wins (as in kpi_rows, and told apart the same way: the tickets
-- carried by more than one file, usually none, with the latest of those files).
ticket_repeats as (
    select
        province,
        ticket_id,
        max(dt) as latest_dt
    from service
    where dt between ? and ?
        and opened_date between cast(? as date) and cast(? as date)
        and ? in ('ALL', province)
    group by province, ticket_id
    having count(*) > 1
),

ticket_versions as (
    select
        s.province,
        s.segment,
        s.satisfaction
    from service as s
    left join ticket_repeats as r
        on r.province = s.province and r.ticket_id = s.ticket_id
    where s.dt between ? and ?
        and s.opened_date between cast(? as date) and cast(? as date)
        and ? in ('ALL', s.province)
        and (r.latest_dt is null or s.dt = r.latest_dt)
),

service_days as (
    select
        province,
        count(distinct dt) as days_received
    from service
    where dt between ? and ?
        and ? in ('ALL', province)
    group by province
),

service_actuals as (
    select
        province,
        case when grouping(segment) = 1 then 'ALL' else segment end as segment,
        count(satisfaction) as responses,
        count(case when satisfaction >= 4 then 1 end) as satisfied
    from ticket_versions
    group by grouping sets ((province, segment), (province))
),

day_numbers as (
    select n
    from (
        values
            (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15), (16),
            (17), (18), (19), (20), (21), (22), (23), (24), (25), (26), (27), (28), (29), (30), (31)
    ) as t (n)
),

calendar as (
    select
        (select count(*) from day_numbers where n <= ?) as window_days,
        (select count(*) from day_numbers where n <= ?) as month_days
),

actuals as (
    select
        t.month,
        t.province,
        t.segment,
        t.kpi,
        cast(t.target as double) as target,
        case
            when t.kpi = 'revenue' then
                case when rd.days_received > 0 then cast(coalesce(ra.revenue, 0) as double) end
            when t.kpi = 'arpu' then
                cast(ra.revenue as double) / nullif(cast(ra.active_users_avg as double), 0)
            when t.kpi = 'grossAdds' then
                case when sd.days_received > 0 then cast(coalesce(sa.gross_adds, 0) as double) end
            when t.kpi = 'netAdds' then
                case when sd.days_received > 0 then cast(coalesce(sa.gross_adds, 0) - coalesce(sa.churned, 0) as double) end
            when t.kpi = 'csat' then
                cast(va.satisfied as double) / nullif(cast(va.responses as double), 0)
        end as actual_to_date,
        c.window_days - coalesce(
            case
                when t.kpi in ('revenue', 'arpu') then rd.days_received
                when t.kpi in ('grossAdds', 'netAdds') then sd.days_received
                else vd.days_received
            end,
            0
        ) as missing_days,
        cast(c.window_days as double) / nullif(cast(c.month_days as double), 0) as time_progress
    from month_targets as t
    cross join calendar as c
    left join revenue_days as rd
        on rd.province = t.province
    left join revenue_actuals as ra
        on ra.province = t.province and ra.segment = t.segment
    left join sales_days as sd
        on sd.province = t.province
    left join sales_actuals as sa
        on sa.province = t.province and sa.segment = t.segment
    left join service_days as vd
        on vd.province = t.province
    left join service_actuals as va
        on va.province = t.province and va.segment = t.segment
),

final as (
    select
        month,
        province,
        segment,
        kpi,
        cast(target as double) as target,
        cast(actual_to_date as double) as actual_to_date,
        cast(actual_to_date as double) / nullif(cast(target as double), 0) as completion,
        cast(time_progress as double) as time_progress,
        cast(actual_to_date as double) / nullif(cast(target as double), 0) - cast(time_progress as double) as gap,
        cast(missing_days as bigint) as missing_days
    from actuals
)

select * from final
