-- kpi_rows: the KPIs of SPEC §3 for a period, beside the period before it.
--
-- Grain: one row per dimension × group for the scope, with the previous period's figures
--   beside the current ones (prev_* columns). dimension is total (one row), segment,
--   subSegment (enterprise sub_segment), channel, segmentChannel, province or product; a group
--   has a row when it has any revenue, sales or service fact in either period.
--
-- Growth compares like with like (SPEC §3): when a province's revenue (or sales) extract was
--   received on the i-th day of one period and not on the i-th day of the other (i = the weekday
--   for a week, the day of the month for a month), that province's revenue (sales) rows of that
--   i-th day are left out of both sides of the growths that use them (revenue, activeUsersAvg and
--   arpu; grossAdds). "Received" is what the lake holds: a day with at least one row of that type
--   for that province (the same test the active-users average uses; an accepted file without rows
--   is not seen, so its counterpart day is left out too, which keeps the comparison like for like).
--   A day the other period does not have (the 31st against a 30-day month) has no counterpart to
--   miss and is kept; a province with no rows in either period contributes nothing either way.
--   When no province has the same day of both periods received, nothing comparable remains and
--   those growths are null. The period's own figures keep every day received; growth_basis says
--   'matched' for a group that lost rows this way, else 'all'.
--
-- Parameters, bound in order ('YYYY-MM-DD' strings; scope is 'ALL' or a province code, bound once
-- per scan as `? in ('ALL', province)`: this query scans six times, and the Athena console takes
-- at most 25 question marks):
--    1 shape                'week:7:7', or 'month:<days of the month>:<days of the month before>'
--    2 cur_start            revenue: first day of the period
--    3 cur_end              last day of the period
--    4 scope
--    5 prev_start           first day of the previous period
--    6 prev_end             its last day, the day before cur_start
--    7 scope
--    8 … 13                 sales: the same six again
--   14 prev_start - 1 day   service file days: a ticket may sit in the file of the day before or
--   15 cur_end + 1 day      after the Asia/Shanghai day it was opened
--   16 prev_start           opened days
--   17 cur_end
--   18 scope
--   19 … 23                 the same five again (the tickets carried by more than one file)
--   24 cur_start
--
-- Athena binds ? only inside a WHERE clause (SELECT ? is not supported), so no select list
-- labels a row's period with a parameter: each period is a select of its own days, or (tickets,
-- below) the row meets the two-row periods list and the WHERE keeps the period it belongs to.

with

-- The period's kind and the lengths of both periods, picked by a parameter in a WHERE (Athena
-- binds ? nowhere else): every pair of adjacent months, and the week.
period_shape as (
    select kind, cur_days, prev_days
    from (
        values
            ('week:7:7', 'week', 7, 7),
            ('month:31:31', 'month', 31, 31),
            ('month:31:30', 'month', 31, 30),
            ('month:30:31', 'month', 30, 31),
            ('month:28:31', 'month', 28, 31),
            ('month:29:31', 'month', 29, 31),
            ('month:31:28', 'month', 31, 28),
            ('month:31:29', 'month', 31, 29)
    ) as s (shape, kind, cur_days, prev_days)
    where s.shape = ?
),

-- The facts summed per day and cell first (revenue here, sales counted below): every join and
-- group after this sees tens of thousands of rows, not the millions of a national fortnight.
revenue_rows as (
    select
        'cur' as period,
        dt,
        province,
        segment,
        case when segment = 'enterprise' then nullif(sub_segment, '') end as sub_segment,
        channel,
        product,
        sum(revenue) as revenue,
        sum(active_users) as active_users
    from revenue
    where dt between ? and ?
        and ? in ('ALL', province)
    group by dt, province, segment, case when segment = 'enterprise' then nullif(sub_segment, '') end, channel, product

    union all

    select
        'prev' as period,
        dt,
        province,
        segment,
        case when segment = 'enterprise' then nullif(sub_segment, '') end as sub_segment,
        channel,
        product,
        sum(revenue) as revenue,
        sum(active_users) as active_users
    from revenue
    where dt between ? and ?
        and ? in ('ALL', province)
    group by dt, province, segment, case when segment = 'enterprise' then nullif(sub_segment, '') end, channel, product
),

-- A day whose revenue extract was not received is missing, not zero: a province's active
-- users are averaged over the days it sent.
revenue_days as (
    select
        period,
        province,
        count(distinct dt) as days_received
    from revenue_rows
    group by period, province
),

-- The i-th day of its period of each province-day with revenue rows (weekday 1 = Monday for a
-- week, 2000-01-03 being a Monday; day of the month for a month).
revenue_day_index as (
    select
        d.period,
        d.province,
        d.dt,
        case
            when s.kind = 'week' then date_diff('day', date '2000-01-03', cast(d.dt as date)) % 7 + 1
            else day(cast(d.dt as date))
        end as day_index
    from (select distinct period, province, dt from revenue_rows) as d
    cross join period_shape as s
),

-- kept = 1 when the same province has revenue rows on the i-th day of the other period, or the
-- other period has no i-th day; 0 when its i-th day there was not received (left out of growth).
revenue_matched_days as (
    select
        d.period,
        d.province,
        d.dt,
        case
            when d.day_index > case when d.period = 'cur' then s.prev_days else s.cur_days end then 1
            when o.province is not null then 1
            else 0
        end as kept,
        case when o.province is not null then 1 else 0 end as paired
    from revenue_day_index as d
    cross join period_shape as s
    left join revenue_day_index as o
        on o.province = d.province and o.day_index = d.day_index and o.period <> d.period
),

revenue_matched_count as (
    select
        period,
        province,
        sum(kept) as days_kept
    from revenue_matched_days
    group by period, province
),

-- The average is linear, so each cell carries its share of its province's average and any
-- group's activeUsersAvg is the sum of its cells' shares. The matched_* figures are the same
-- over the days kept for growth only.
revenue_cells as (
    select
        r.period,
        r.province,
        r.segment,
        r.sub_segment,
        r.channel,
        r.product,
        cast(sum(r.revenue) as decimal(38, 2)) as revenue,
        -- Exact decimal, not double: parallel double sums differ in the last bits from run to
        -- run, and an unchanged report must hash the same (delivery sends it at most once).
        cast(cast(sum(r.active_users) as double) / nullif(cast(d.days_received as double), 0) as decimal(38, 9))
            as active_users_avg,
        cast(sum(case when m.kept = 1 then r.revenue end) as decimal(38, 2)) as matched_revenue,
        cast(
            cast(sum(case when m.kept = 1 then r.active_users end) as double) / nullif(cast(k.days_kept as double), 0)
            as decimal(38, 9)
        ) as matched_active_users_avg,
        count(case when m.kept = 0 then 1 end) as left_out
    from revenue_rows as r
    inner join revenue_days as d
        on d.period = r.period and d.province = r.province
    inner join revenue_matched_days as m
        on m.period = r.period and m.province = r.province and m.dt = r.dt
    inner join revenue_matched_count as k
        on k.period = r.period and k.province = r.province
    group by r.period, r.province, r.segment, r.sub_segment, r.channel, r.product, d.days_received, k.days_kept
),

-- Sales events counted per day and cell (new and churn), as revenue above.
sales_rows as (
    select
        'cur' as period,
        dt,
        province,
        segment,
        case when segment = 'enterprise' then nullif(sub_segment, '') end as sub_segment,
        channel,
        product,
        count(case when event_type = 'new' then 1 end) as gross_adds,
        count(case when event_type = 'churn' then 1 end) as churned
    from sales
    where dt between ? and ?
        and ? in ('ALL', province)
    group by dt, province, segment, case when segment = 'enterprise' then nullif(sub_segment, '') end, channel, product

    union all

    select
        'prev' as period,
        dt,
        province,
        segment,
        case when segment = 'enterprise' then nullif(sub_segment, '') end as sub_segment,
        channel,
        product,
        count(case when event_type = 'new' then 1 end) as gross_adds,
        count(case when event_type = 'churn' then 1 end) as churned
    from sales
    where dt between ? and ?
        and ? in ('ALL', province)
    group by dt, province, segment, case when segment = 'enterprise' then nullif(sub_segment, '') end, channel, product
),

-- The same like-for-like days for sales (grossAdds growth), as for revenue above.
sales_day_index as (
    select
        d.period,
        d.province,
        d.dt,
        case
            when s.kind = 'week' then date_diff('day', date '2000-01-03', cast(d.dt as date)) % 7 + 1
            else day(cast(d.dt as date))
        end as day_index
    from (select distinct period, province, dt from sales_rows) as d
    cross join period_shape as s
),

sales_matched_days as (
    select
        d.period,
        d.province,
        d.dt,
        case
            when d.day_index > case when d.period = 'cur' then s.prev_days else s.cur_days end then 1
            when o.province is not null then 1
            else 0
        end as kept,
        case when o.province is not null then 1 else 0 end as paired
    from sales_day_index as d
    cross join period_shape as s
    left join sales_day_index as o
        on o.province = d.province and o.day_index = d.day_index and o.period <> d.period
),

sales_cells as (
    select
        r.period,
        r.province,
        r.segment,
        r.sub_segment,
        r.channel,
        r.product,
        sum(r.gross_adds) as gross_adds,
        sum(r.churned) as churned,
        coalesce(sum(case when m.kept = 1 then r.gross_adds end), 0) as matched_gross_adds,
        count(case when m.kept = 0 then 1 end) as left_out
    from sales_rows as r
    inner join sales_matched_days as m
        on m.period = r.period and m.province = r.province and m.dt = r.dt
    group by r.period, r.province, r.segment, r.sub_segment, r.channel, r.product
),

-- A ticket counts on its opened day in Asia/Shanghai (opened_date), whatever file carried it;
-- when files of neighbouring days both carry it, the later file's version (the later state) wins.
-- One scan for both periods: a ticket's versions may fall on either side of cur_start.
--
-- The tickets carried by more than one file, with the latest of those files (ticket_id is unique
-- within a file): usually none, so a ticket's versions are told apart by a narrow count per
-- ticket and a join with that short list, not by ranking millions of wide rows. Its own scan of
-- three columns is cheaper than holding every ticket's columns for a second look.
service_repeats as (
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

service_versions as (
    select
        p.period,
        s.province,
        s.segment,
        case when s.segment = 'enterprise' then nullif(s.sub_segment, '') end as sub_segment,
        s.channel,
        s.category,
        s.opened_at,
        s.first_response_at,
        s.satisfaction
    from service as s
    left join service_repeats as r
        on r.province = s.province and r.ticket_id = s.ticket_id
    cross join (values ('cur'), ('prev')) as p (period)
    where s.dt between ? and ?
        and s.opened_date between cast(? as date) and cast(? as date)
        and ? in ('ALL', s.province)
        and (r.latest_dt is null or s.dt = r.latest_dt)
        and p.period = case when s.opened_date >= cast(? as date) then 'cur' else 'prev' end
),

service_cells as (
    select
        period,
        province,
        segment,
        sub_segment,
        channel,
        count(satisfaction) as responses,
        count(case when satisfaction >= 4 then 1 end) as satisfied,
        sum(satisfaction) as score_sum,
        count(case when category = 'complaint' then 1 end) as complaints,
        count(
            case
                when category in ('complaint', 'fault')
                    and first_response_at <= opened_at + interval '30' minute then 1
            end
        ) as sla_met,
        count(case when category in ('complaint', 'fault') then 1 end) as sla_eligible
    from service_versions
    group by period, province, segment, sub_segment, channel
),

cells as (
    select
        period, province, segment, sub_segment, channel, product,
        revenue,
        active_users_avg,
        matched_revenue,
        matched_active_users_avg,
        cast(null as bigint) as matched_gross_adds,
        cast(left_out as bigint) as left_out,
        cast(null as bigint) as gross_adds,
        cast(null as bigint) as churned,
        cast(null as bigint) as responses,
        cast(null as bigint) as satisfied,
        cast(null as bigint) as score_sum,
        cast(null as bigint) as complaints,
        cast(null as bigint) as sla_met,
        cast(null as bigint) as sla_eligible
    from revenue_cells

    union all

    select
        period, province, segment, sub_segment, channel, product,
        cast(null as decimal(38, 2)) as revenue,
        cast(null as decimal(38, 9)) as active_users_avg,
        cast(null as decimal(38, 2)) as matched_revenue,
        cast(null as decimal(38, 9)) as matched_active_users_avg,
        cast(matched_gross_adds as bigint) as matched_gross_adds,
        cast(left_out as bigint) as left_out,
        cast(gross_adds as bigint) as gross_adds,
        cast(churned as bigint) as churned,
        cast(null as bigint) as responses,
        cast(null as bigint) as satisfied,
        cast(null as bigint) as score_sum,
        cast(null as bigint) as complaints,
        cast(null as bigint) as sla_met,
        cast(null as bigint) as sla_eligible
    from sales_cells

    union all

    -- channel here is the contact channel; a ticket has no product.
    select
        period, province, segment, sub_segment, channel,
        cast(null as varchar) as product,
        cast(null as decimal(38, 2)) as revenue,
        cast(null as decimal(38, 9)) as active_users_avg,
        cast(null as decimal(38, 2)) as matched_revenue,
        cast(null as decimal(38, 9)) as matched_active_users_avg,
        cast(null as bigint) as matched_gross_adds,
        cast(null as bigint) as left_out,
        cast(null as bigint) as gross_adds,
        cast(null as bigint) as churned,
        cast(responses as bigint) as responses,
        cast(satisfied as bigint) as satisfied,
        cast(score_sum as bigint) as score_sum,
        cast(complaints as bigint) as complaints,
        cast(sla_met as bigint) as sla_met,
        cast(sla_eligible as bigint) as sla_eligible
    from service_cells
),

grouped as (
    select
        period,
        case
            when grouping(segment) = 0 and grouping(channel) = 0 then 'segmentChannel'
            when grouping(segment) = 0 then 'segment'
            when grouping(sub_segment) = 0 then 'subSegment'
            when grouping(channel) = 0 then 'channel'
            when grouping(province) = 0 then 'province'
            when grouping(product) = 0 then 'product'
            else 'total'
        end as dimension,
        segment,
        sub_segment,
        channel,
        province,
        product,
        sum(revenue) as revenue,
        sum(active_users_avg) as active_users_avg,
        sum(matched_revenue) as matched_revenue,
        sum(matched_active_users_avg) as matched_active_users_avg,
        sum(matched_gross_adds) as matched_gross_adds,
        sum(left_out) as left_out,
        sum(gross_adds) as gross_adds,
        sum(churned) as churned,
        sum(responses) as responses,
        sum(satisfied) as satisfied,
        sum(score_sum) as score_sum,
        sum(complaints) as complaints,
        sum(sla_met) as sla_met,
        sum(sla_eligible) as sla_eligible
    from cells
    group by grouping sets (
        (period),
        (period, segment),
        (period, sub_segment),
        (period, channel),
        (period, segment, channel),
        (period, province),
        (period, product)
    )
),

-- Rows without a sub_segment (not enterprise) or without a product (tickets) belong to no
-- subSegment or product group.
kept_groups as (
    select *
    from grouped
    where not (dimension = 'subSegment' and sub_segment is null)
        and not (dimension = 'product' and product is null)
),

pivoted as (
    select
        dimension,
        segment,
        sub_segment,
        channel,
        province,
        product,
        coalesce(sum(case when period = 'cur' then revenue end), cast(0 as decimal(38, 2))) as revenue,
        coalesce(sum(case when period = 'prev' then revenue end), cast(0 as decimal(38, 2))) as prev_revenue,
        coalesce(sum(case when period = 'cur' then active_users_avg end), cast(0 as decimal(38, 9))) as active_users_avg,
        coalesce(sum(case when period = 'prev' then active_users_avg end), cast(0 as decimal(38, 9))) as prev_active_users_avg,
        coalesce(sum(case when period = 'cur' then matched_revenue end), cast(0 as decimal(38, 2))) as matched_revenue,
        coalesce(sum(case when period = 'prev' then matched_revenue end), cast(0 as decimal(38, 2))) as prev_matched_revenue,
        coalesce(sum(case when period = 'cur' then matched_active_users_avg end), cast(0 as decimal(38, 9)))
            as matched_active_users_avg,
        coalesce(sum(case when period = 'prev' then matched_active_users_avg end), cast(0 as decimal(38, 9)))
            as prev_matched_active_users_avg,
        coalesce(sum(case when period = 'cur' then matched_gross_adds end), 0) as matched_gross_adds,
        coalesce(sum(case when period = 'prev' then matched_gross_adds end), 0) as prev_matched_gross_adds,
        coalesce(sum(left_out), 0) as left_out,
        coalesce(sum(case when period = 'cur' then gross_adds end), 0) as gross_adds,
        coalesce(sum(case when period = 'prev' then gross_adds end), 0) as prev_gross_adds,
        coalesce(sum(case when period = 'cur' then churned end), 0) as churned,
        coalesce(sum(case when period = 'cur' then responses end), 0) as responses,
        coalesce(sum(case when period = 'cur' then satisfied end), 0) as satisfied,
        coalesce(sum(case when period = 'cur' then score_sum end), 0) as score_sum,
        coalesce(sum(case when period = 'cur' then complaints end), 0) as complaints,
        coalesce(sum(case when period = 'cur' then sla_met end), 0) as sla_met,
        coalesce(sum(case when period = 'cur' then sla_eligible end), 0) as sla_eligible,
        coalesce(sum(case when period = 'prev' then churned end), 0) as prev_churned,
        coalesce(sum(case when period = 'prev' then responses end), 0) as prev_responses,
        coalesce(sum(case when period = 'prev' then satisfied end), 0) as prev_satisfied,
        coalesce(sum(case when period = 'prev' then score_sum end), 0) as prev_score_sum,
        coalesce(sum(case when period = 'prev' then complaints end), 0) as prev_complaints,
        coalesce(sum(case when period = 'prev' then sla_met end), 0) as prev_sla_met,
        coalesce(sum(case when period = 'prev' then sla_eligible end), 0) as prev_sla_eligible
    from kept_groups
    group by dimension, segment, sub_segment, channel, province, product
),

-- Nothing comparable remains when no province has the same day of both periods received: the
-- growths that use that type are then null (not −100 % against a day the other period has alone).
comparable as (
    select
        (select count(*) from revenue_matched_days where paired = 1) as revenue_pairs,
        (select count(*) from sales_matched_days where paired = 1) as sales_pairs
),

scope_total as (
    select
        revenue as total_revenue,
        active_users_avg as total_active_users_avg
    from pivoted
    where dimension = 'total'
),

ratios as (
    select
        p.*,
        cast(p.revenue as double) / nullif(cast(p.active_users_avg as double), 0) as arpu,
        cast(p.prev_revenue as double) / nullif(cast(p.prev_active_users_avg as double), 0) as prev_arpu,
        cast(p.matched_revenue as double) / nullif(cast(p.matched_active_users_avg as double), 0) as matched_arpu,
        cast(p.prev_matched_revenue as double) / nullif(cast(p.prev_matched_active_users_avg as double), 0)
            as prev_matched_arpu,
        cast(p.revenue as double) / nullif(cast(t.total_revenue as double), 0) as revenue_share,
        cast(p.active_users_avg as double) / nullif(cast(t.total_active_users_avg as double), 0) as user_share,
        c.revenue_pairs,
        c.sales_pairs
    from pivoted as p
    cross join scope_total as t
    cross join comparable as c
),

final as (
    select
        dimension,
        segment,
        sub_segment,
        channel,
        province,
        product,
        cast(revenue as double) as revenue,
        cast(revenue_share as double) as revenue_share,
        cast(active_users_avg as double) as active_users_avg,
        cast(user_share as double) as user_share,
        cast(arpu as double) as arpu,
        cast(gross_adds as bigint) as gross_adds,
        cast(churned as bigint) as churned,
        cast(gross_adds - churned as bigint) as net_adds,
        cast(churned as double) / nullif(cast(active_users_avg as double), 0) as churn_rate,
        -- Growths on the like-for-like days only (matched_*, see the header).
        case
            when revenue_pairs > 0
                then cast(matched_revenue - prev_matched_revenue as double) / nullif(cast(prev_matched_revenue as double), 0)
        end as revenue_growth,
        case
            when sales_pairs > 0
                then cast(matched_gross_adds - prev_matched_gross_adds as double)
                    / nullif(cast(prev_matched_gross_adds as double), 0)
        end as gross_adds_growth,
        case
            when revenue_pairs > 0
                then cast(matched_active_users_avg - prev_matched_active_users_avg as double)
                    / nullif(cast(prev_matched_active_users_avg as double), 0)
        end as active_users_growth,
        case
            when revenue_pairs > 0
                then cast(matched_arpu - prev_matched_arpu as double) / nullif(cast(prev_matched_arpu as double), 0)
        end as arpu_growth,
        cast(case when left_out > 0 then 'matched' else 'all' end as varchar) as growth_basis,
        -- A ticket has no product: product groups carry no service figures.
        case when dimension <> 'product' then cast(responses as bigint) end as responses,
        case
            when dimension <> 'product'
                then cast(satisfied as double) / nullif(cast(responses as double), 0)
        end as csat,
        case
            when dimension <> 'product'
                then cast(score_sum as double) / nullif(cast(responses as double), 0)
        end as avg_score,
        -- A contact channel is not an acquisition channel: no complaint rate per channel group.
        case
            when dimension not in ('channel', 'segmentChannel', 'product')
                then cast(complaints as double) * 10000 / nullif(cast(active_users_avg as double), 0)
        end as complaints_per_10k,
        case
            when dimension <> 'product'
                then cast(sla_met as double) / nullif(cast(sla_eligible as double), 0)
        end as first_response_sla,
        -- The previous period's own figures, so a report can show "last week" beside every
        -- tile without running this query a second time.
        cast(prev_revenue as double) as prev_revenue,
        cast(prev_active_users_avg as double) as prev_active_users_avg,
        cast(prev_arpu as double) as prev_arpu,
        cast(prev_gross_adds as bigint) as prev_gross_adds,
        cast(prev_churned as bigint) as prev_churned,
        cast(prev_gross_adds - prev_churned as bigint) as prev_net_adds,
        cast(prev_churned as double) / nullif(cast(prev_active_users_avg as double), 0) as prev_churn_rate,
        case when dimension <> 'product' then cast(prev_responses as bigint) end as prev_responses,
        case
            when dimension <> 'product'
                then cast(prev_satisfied as double) / nullif(cast(prev_responses as double), 0)
        end as prev_csat,
        case
            when dimension <> 'product'
                then cast(prev_score_sum as double) / nullif(cast(prev_responses as double), 0)
        end as prev_avg_score,
        case
            when dimension not in ('channel', 'segmentChannel', 'product')
                then cast(prev_complaints as double) * 10000 / nullif(cast(prev_active_users_avg as double), 0)
        end as prev_complaints_per_10k,
        case
            when dimension <> 'product'
                then cast(prev_sla_met as double) / nullif(cast(prev_sla_eligible as double), 0)
        end as prev_first_response_sla
    from ratios
)

select * from final
