"""What every domain uses: the model base, money, time, errors and access checks."""
