"""Jobs, schedules and sensors that keep the warehouse current without anyone."""
