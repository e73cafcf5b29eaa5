from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# Reading an event's deliveries scanned all of its organization's deliveries, and reading a
# delivery's attempts scanned every attempt stored (deleting an event or a delivery too,
# for the cascade): both grew with the table. These give each lookup its rows in order.


class Migration(migrations.Migration):
    dependencies = [("models", "0003_due_deliveries_index")]

    initial = False

    operations = [
        ops.AddIndex(model_name="Delivery", index=Index(fields=["event_id", "id"])),
        ops.AddIndex(
            model_name="DeliveryAttempt", index=Index(fields=["delivery_id", "attempt_number"])
        ),
    ]
