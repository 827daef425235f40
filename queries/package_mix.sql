-- package_mix: new adds by monthly-fee band and the migration between bands (SPEC §10, 套餐结构).
--
-- Grain: one row per flow × from_band × to_band with events in the period or the period before,
--   for the scope. flow is 'new' (from_band null, to_band the band of monthly_fee) or 'move', the
--   upgrades and downgrades (from_band the band of prev_monthly_fee, to_band that of monthly_fee; a
--   move inside a band has from_band = to_band; upgrades and downgrades count each kind). A band is the number of configured edges at or below the fee:
--   with edges 39, 89, 129, band 0 is below 39, 1 is 39 to below 89, 2 is 89 to below 129, 3 is
--   129 and above. share is the row's part of its flow's events in the period.
--
-- Growth compares like with like, on the sales days of kpi_rows (SPEC §3): a province's sales rows
--   of the i-th day of one period are left out of both sides when the other period's i-th day was
--   not received; events_growth is null when no day of both periods remains. growth_basis is
--   'matched' for a row that lost rows this way, else 'all'.
--
-- Parameters, bound in order ('YYYY-MM-DD' strings; scope is 'ALL' or a province code):
--    1 shape          'week:7:7', or 'month:<days of the month>:<days of the month before>'
--    2 cur_start      3 cur_end      4 scope   5 scope
--    6 prev_start     7 prev_end     8 scope   9 scope
--   10 … 15          band edges 1 … 6 in CNY, ascending; an unused edge is null
--
-- Athena binds ? only inside a WHERE clause: the edges filter a WHERE, and a fee's band is how
-- many of them it passes.

with

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

-- The events of a day, province, kind and fee pair counted once (a day is received when it has
-- any sales row, churns included): the joins below then see thousands of rows, not millions.
sales_rows as (
    select
        'cur' as period,
        dt,
        province,
        event_type,
        monthly_fee,
        prev_monthly_fee,
        count(*) as event_count
    from sales
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
    group by dt, province, event_type, monthly_fee, prev_monthly_fee

    union all

    select
        'prev' as period,
        dt,
        province,
        event_type,
        monthly_fee,
        prev_monthly_fee,
        count(*) as event_count
    from sales
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
    group by dt, province, event_type, monthly_fee, prev_monthly_fee
),

-- The like-for-like days of kpi_rows' sales (a day with any sales row of the province is received).
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

comparable as (
    select count(*) as sales_pairs
    from sales_matched_days
    where paired = 1
),

fees as (
    select monthly_fee as fee
    from sales_rows
    where event_type in ('new', 'upgrade', 'downgrade')

    union

    select prev_monthly_fee as fee
    from sales_rows
    where event_type in ('upgrade', 'downgrade')
        and prev_monthly_fee is not null
),

edges as (
    select i
    from (values (1), (2), (3), (4), (5), (6)) as e (i)
),

fee_edges_passed as (
    select
        f.fee,
        e.i
    from fees as f
    cross join edges as e
    where (e.i = 1 and f.fee >= cast(? as decimal(18, 2)))
        or (e.i = 2 and f.fee >= cast(? as decimal(18, 2)))
        or (e.i = 3 and f.fee >= cast(? as decimal(18, 2)))
        or (e.i = 4 and f.fee >= cast(? as decimal(18, 2)))
        or (e.i = 5 and f.fee >= cast(? as decimal(18, 2)))
        or (e.i = 6 and f.fee >= cast(? as decimal(18, 2)))
),

fee_bands as (
    select
        f.fee,
        count(p.i) as band
    from fees as f
    left join fee_edges_passed as p
        on p.fee = f.fee
    group by f.fee
),

events as (
    select
        r.period,
        case when r.event_type = 'new' then 'new' else 'move' end as flow,
        r.event_type,
        case when r.event_type = 'new' then cast(null as bigint) else cast(pb.band as bigint) end as from_band,
        cast(b.band as bigint) as to_band,
        r.monthly_fee,
        case when r.event_type = 'new' then cast(null as decimal(18, 2)) else r.monthly_fee - r.prev_monthly_fee end
            as fee_change,
        r.event_count,
        m.kept
    from sales_rows as r
    inner join sales_matched_days as m
        on m.period = r.period and m.province = r.province and m.dt = r.dt
    inner join fee_bands as b
        on b.fee = r.monthly_fee
    left join fee_bands as pb
        on pb.fee = r.prev_monthly_fee
    where r.event_type in ('new', 'upgrade', 'downgrade')
),

flows as (
    select
        flow,
        from_band,
        to_band,
        coalesce(sum(case when period = 'cur' then event_count end), 0) as events,
        coalesce(sum(case when period = 'prev' then event_count end), 0) as prev_events,
        coalesce(sum(case when period = 'cur' and event_type = 'upgrade' then event_count end), 0) as upgrades,
        coalesce(sum(case when period = 'cur' and event_type = 'downgrade' then event_count end), 0) as downgrades,
        coalesce(sum(case when period = 'cur' and kept = 1 then event_count end), 0) as matched_events,
        coalesce(sum(case when period = 'prev' and kept = 1 then event_count end), 0) as prev_matched_events,
        count(case when kept = 0 then 1 end) as left_out,
        sum(case when period = 'cur' then monthly_fee * event_count end) as fee_sum,
        sum(case when period = 'prev' then monthly_fee * event_count end) as prev_fee_sum,
        sum(case when period = 'cur' then fee_change * event_count end) as fee_change
    from events
    group by flow, from_band, to_band
),

final as (
    select
        cast(f.flow as varchar) as flow,
        f.from_band,
        f.to_band,
        cast(f.events as bigint) as events,
        cast(f.events as double) / nullif(cast(sum(f.events) over (partition by f.flow) as double), 0) as share,
        cast(coalesce(f.fee_sum, 0) as double) as fee_sum,
        cast(f.fee_sum as double) / nullif(cast(f.events as double), 0) as avg_fee,
        cast(coalesce(f.fee_change, 0) as double) as fee_change,
        cast(f.upgrades as bigint) as upgrades,
        cast(f.downgrades as bigint) as downgrades,
        cast(f.prev_events as bigint) as prev_events,
        cast(coalesce(f.prev_fee_sum, 0) as double) as prev_fee_sum,
        case
            when c.sales_pairs > 0
                then cast(f.matched_events - f.prev_matched_events as double) / nullif(cast(f.prev_matched_events as double), 0)
        end as events_growth,
        cast(case when f.left_out > 0 then 'matched' else 'all' end as varchar) as growth_basis
    from flows as f
    cross join comparable as c
)

select * from final
