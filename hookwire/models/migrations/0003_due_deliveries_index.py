from tortoise import migrations
from tortoise.migrations import operations as ops

# The queue's claim takes the oldest due deliveries: (status, next_attempt_at) cannot give
# them in order for two statuses at once, so every claim sorted every due row (milliseconds
# with a backlog of tens of thousands, growing with it). This index holds only active
# deliveries, in the order claims read them.
ACTIVE = "'PENDING', 'RETRYING'"  # hookwire.models.queue.ACTIVE, as it was when written


class Migration(migrations.Migration):
    dependencies = [("models", "0002_deliveries")]

    initial = False

    operations = [
        ops.RunSQL(
            f"CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ({ACTIVE})",
            reverse_sql="DROP INDEX deliveries_due",
        ),
    ]
