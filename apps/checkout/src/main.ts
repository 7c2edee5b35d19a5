import { bootstrapApp } from '../../common/bootstrap';
import { AppModule } from './app.module';

void bootstrapApp('checkout', AppModule, 3002);
