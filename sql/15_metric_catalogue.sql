-- view: metric_catalogue
-- grain: one row per CloudWatch metric and statistic correlate reads, with the series it feeds
-- sources: none (a fixed list)
-- columns: namespace, metric, statistic, series, is_count
--
-- One name per series whatever the type of load balancer: an ALB's TargetResponseTime and a Classic
-- ELB's Latency are both p50_target_s ... (in seconds, as CloudWatch gives them). is_count: a Sum
-- of events, which CloudWatch publishes only in minutes where it is not zero, so a minute read
-- without a datapoint is 0. metrics_lb_minute and metric_cells read the names from here.
create or replace view metric_catalogue as
select
    namespace,
    metric,
    statistic,
    series,
    statistic = 'Sum' as is_count
from (
    values
        ('AWS/ApplicationELB', 'RequestCount', 'Sum', 'requests'),
        ('AWS/ApplicationELB', 'TargetResponseTime', 'p50', 'p50_target_s'),
        ('AWS/ApplicationELB', 'TargetResponseTime', 'p90', 'p90_target_s'),
        ('AWS/ApplicationELB', 'TargetResponseTime', 'p99', 'p99_target_s'),
        ('AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', 'Sum', 'elb_5xx'),
        ('AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'Sum', 'target_5xx'),
        ('AWS/ApplicationELB', 'HTTPCode_ELB_4XX_Count', 'Sum', 'elb_4xx'),
        ('AWS/ApplicationELB', 'HTTPCode_Target_4XX_Count', 'Sum', 'target_4xx'),
        ('AWS/ApplicationELB', 'HealthyHostCount', 'Average', 'healthy_hosts'),
        ('AWS/ApplicationELB', 'UnHealthyHostCount', 'Average', 'unhealthy_hosts'),
        ('AWS/ApplicationELB', 'ActiveConnectionCount', 'Sum', 'active_connections'),
        ('AWS/ApplicationELB', 'RejectedConnectionCount', 'Sum', 'rejected_connections'),
        ('AWS/ApplicationELB', 'ClientTLSNegotiationErrorCount', 'Sum', 'client_tls_errors'),
        ('AWS/ApplicationELB', 'TargetConnectionErrorCount', 'Sum', 'target_connection_errors'),
        ('AWS/ELB', 'RequestCount', 'Sum', 'requests'),
        ('AWS/ELB', 'Latency', 'p50', 'p50_target_s'),
        ('AWS/ELB', 'Latency', 'p90', 'p90_target_s'),
        ('AWS/ELB', 'Latency', 'p99', 'p99_target_s'),
        ('AWS/ELB', 'HTTPCode_ELB_5XX', 'Sum', 'elb_5xx'),
        ('AWS/ELB', 'HTTPCode_Backend_5XX', 'Sum', 'target_5xx'),
        ('AWS/ELB', 'HTTPCode_ELB_4XX', 'Sum', 'elb_4xx'),
        ('AWS/ELB', 'HTTPCode_Backend_4XX', 'Sum', 'target_4xx'),
        ('AWS/ELB', 'HealthyHostCount', 'Average', 'healthy_hosts'),
        ('AWS/ELB', 'UnHealthyHostCount', 'Average', 'unhealthy_hosts'),
        ('AWS/ELB', 'BackendConnectionErrors', 'Sum', 'target_connection_errors'),
        ('AWS/ELB', 'SurgeQueueLength', 'Maximum', 'surge_queue_length'),
        ('AWS/ELB', 'SpilloverCount', 'Sum', 'spillover'),
        ('AWS/NetworkELB', 'HealthyHostCount', 'Average', 'healthy_hosts'),
        ('AWS/NetworkELB', 'UnHealthyHostCount', 'Average', 'unhealthy_hosts'),
        ('AWS/NetworkELB', 'ClientTLSNegotiationErrorCount', 'Sum', 'client_tls_errors'),
        ('AWS/NetworkELB', 'TargetTLSNegotiationErrorCount', 'Sum', 'target_tls_errors'),
        ('AWS/NetworkELB', 'NewFlowCount', 'Sum', 'new_flows'),
        ('AWS/NetworkELB', 'ActiveFlowCount', 'Average', 'active_flows'),
        ('AWS/NetworkELB', 'TCP_Client_Reset_Count', 'Sum', 'tcp_client_resets'),
        ('AWS/NetworkELB', 'TCP_Target_Reset_Count', 'Sum', 'tcp_target_resets'),
        ('AWS/NetworkELB', 'TCP_ELB_Reset_Count', 'Sum', 'tcp_elb_resets')
) as catalogue (namespace, metric, statistic, series);
