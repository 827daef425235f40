import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FEATURE_FLAGS, TelcoKpiStack } from './telco-kpi-stack.js';

const app = new App({ context: FEATURE_FLAGS });
new TelcoKpiStack(app, 'TelcoKpi', {
  description: 'telco-kpi: extracts → Parquet lake → Athena KPIs → Excel reports by SES',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
