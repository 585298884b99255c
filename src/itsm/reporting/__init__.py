"""Reporting engine: metric definitions, report filters, exports, the per-ticket facts rollup and
scheduled reports. It reads every practice's data, so it sits above them and below the faces."""
